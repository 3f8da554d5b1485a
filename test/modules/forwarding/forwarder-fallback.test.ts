/**
 * The forwarder writes the outcomes of calls that finished together in one transaction; when that
 * write fails, each outcome is written alone, so one failure does not lose the others. Here the
 * first write of more than one outcome fails (its change runner throws after the statements ran,
 * so the transaction rolls back); every deployment must still end succeeded, with one attempt and
 * one audit event each, and the trail must verify.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type ChangeRunner, createChangeRunner } from '../../../src/modules/audit/audited-change.js';
import { createCognigyClient } from '../../../src/modules/cognigy/cognigy-client.js';
import { createForwarder } from '../../../src/modules/forwarding/forwarder.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { loopbackFetch } from '../discovery/idp-servers.js';
import { approvedWave } from './approved-wave.js';

const ORGS = 12;

let t: TestApp;
let fake: FakeCognigy;

beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
  // Every call takes as long: the answers arrive together and are written in batches.
  fake.setLatency(150);
  t = await createTestApp({ OUTBOUND_ALLOWLIST: '127.0.0.1', FORWARDING_WORKER: 'false' }, 'fwdfallback', {
    outbound: loopbackFetch(),
  });
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

test('a failed batch write is retried outcome by outcome: nothing is lost or written twice', async () => {
  const { container } = t;
  const { tenantId, orgIds } = await approvedWave(t, fake, 'fallback', ORGS);

  // The real change runner, whose first write of several outcomes fails just before commit.
  const real = createChangeRunner(container.database.db, container.audit);
  const batchSizes: number[] = [];
  let failed = false;
  const failingOnce: ChangeRunner = (ctx, work) =>
    real(ctx, async (tx, trail) => {
      let events = 0;
      const result = await work(tx, {
        ...trail,
        recordAll: (entries) => {
          events = entries.length;
          return trail.recordAll(entries);
        },
      });
      batchSizes.push(events);
      if (!failed && events > 1) {
        failed = true;
        throw new Error('injected: the batch write fails before commit');
      }
      return result;
    });
  const { config } = container;
  const forwarder = createForwarder({
    db: container.database.db,
    change: failingOnce,
    client: createCognigyClient({ fetch: container.outbound, timeoutMs: 2_000 }),
    logger: container.logger,
    loadTarget: (tenantId, orgId) => container.orgs.findCognigyTarget(tenantId, orgId),
    loadVersion: (versionId) => container.ssoVersions.forwardable(versionId),
    policy: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, deadlineMs: 30_000 },
    concurrency: ORGS,
    perApiBase: ORGS,
    leaseMs: config.forwarding.leaseMs,
    pollMs: 50,
  });
  forwarder.start();
  try {
    const { pool } = container.database;
    const until = Date.now() + 20_000;
    for (;;) {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM deployments WHERE org_id = ANY($1::uuid[]) AND state = 'succeeded'`,
        [orgIds],
      );
      if (rows[0].n === ORGS) break;
      if (Date.now() > until) throw new Error(`only ${rows[0].n} of ${ORGS} deployments succeeded`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await forwarder.stop();
  }

  expect(failed).toBe(true); // a batch of several outcomes failed, and was written again one by one
  expect(batchSizes.filter((n) => n === 1).length).toBeGreaterThan(1);
  const { pool } = container.database;
  const attempts = await pool.query(
    `SELECT d.org_id, count(a.*)::int AS n FROM deployments d JOIN deployment_attempts a ON a.deployment_id = d.id
      WHERE d.org_id = ANY($1::uuid[]) GROUP BY d.org_id`,
    [orgIds],
  );
  expect(attempts.rows).toHaveLength(ORGS);
  for (const row of attempts.rows) expect(row.n).toBe(1);
  const events = await pool.query(
    `SELECT org_id, count(*)::int AS n FROM audit_events
      WHERE action = 'deployment.succeeded' AND org_id = ANY($1::uuid[]) GROUP BY org_id`,
    [orgIds],
  );
  expect(events.rows).toHaveLength(ORGS);
  for (const row of events.rows) expect(row.n).toBe(1);
  for (const id of orgIds) expect(fake.stateOf(id)).toMatchObject({ kind: 'configured' });
  expect((await container.audit.verify(tenantId)).ok).toBe(true);
}, 60_000);
