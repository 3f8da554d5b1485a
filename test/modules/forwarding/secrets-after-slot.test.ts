/**
 * A claimed deployment may wait long for a slot at its Cognigy installation (a rollout of many orgs
 * at one installation, 16 at a time): its secrets — the org's Cognigy API key and the version's
 * client secret or private key — are decrypted only once it holds a slot, so none waits in memory.
 * Four orgs at one installation with a bound of one, calls answered in 500 ms.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createCognigyClient } from '../../../src/modules/cognigy/cognigy-client.js';
import { createForwarder } from '../../../src/modules/forwarding/forwarder.js';
import type { SealedCognigyTarget } from '../../../src/modules/orgs/cognigy-target.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { type FakeCognigy, startFakeCognigy } from '../../support/fake-cognigy.js';
import { loopbackFetch } from '../discovery/idp-servers.js';
import { approvedWave } from './approved-wave.js';

const ORGS = 4;
const LATENCY_MS = 500;

let t: TestApp;
let fake: FakeCognigy;

beforeAll(async () => {
  fake = await startFakeCognigy({ https: true });
  fake.setLatency(LATENCY_MS);
  t = await createTestApp({ OUTBOUND_ALLOWLIST: '127.0.0.1', FORWARDING_WORKER: 'false' }, 'secretsslot', {
    outbound: loopbackFetch(),
  });
});

afterAll(async () => {
  await t?.close();
  await fake?.close();
});

/** Calls `open` for `what` and records when. */
const recorded =
  <T>(opened: Array<{ what: string; at: number }>, what: string, open: () => Promise<T>) =>
  () => {
    opened.push({ what, at: Date.now() });
    return open();
  };

/**
 * The service's forwarder with a bound of one per installation, all `ORGS` claimed at once, whose
 * targets pass through `target` (to watch or break their opening); runs until `done`, then stops.
 */
async function forwardUntil(
  target: (orgId: string, sealed: SealedCognigyTarget) => SealedCognigyTarget,
  loadVersion: Parameters<typeof createForwarder>[0]['loadVersion'],
  done: () => Promise<boolean>,
) {
  const { container } = t;
  const forwarder = createForwarder({
    db: container.database.db,
    change: container.change,
    client: createCognigyClient({ fetch: container.outbound, timeoutMs: 5_000 }),
    logger: container.logger,
    loadTarget: async (tenantId, orgId) => {
      const sealed = await container.orgs.findCognigyTarget(tenantId, orgId);
      return sealed && target(orgId, sealed);
    },
    loadVersion,
    policy: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 100, deadlineMs: 30_000 },
    concurrency: ORGS, // all claimed at once: all but one wait for the slot
    perApiBase: 1,
    leaseMs: container.config.forwarding.leaseMs,
    pollMs: 50,
  });
  forwarder.start();
  try {
    const until = Date.now() + 20_000;
    while (!(await done())) {
      if (Date.now() > until) throw new Error('the wave did not finish');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await forwarder.stop();
  }
}

test('secrets are opened only once the deployment holds a slot at its installation', async () => {
  const { orgIds } = await approvedWave(t, fake, 'slotwait', ORGS);
  const opened: Array<{ what: string; at: number }> = [];
  await forwardUntil(
    (orgId, sealed) => ({ ...sealed, open: recorded(opened, `cognigy key of ${orgId}`, sealed.open) }),
    async (versionId) => {
      const version = await t.container.ssoVersions.forwardable(versionId);
      return (
        version && {
          ...version,
          openSecrets: recorded(opened, `secrets of version ${versionId}`, version.openSecrets),
        }
      );
    },
    async () => orgIds.every((id) => fake.stateOf(id)?.kind === 'configured'),
  );

  expect(fake.gauge.most).toBe(1);
  expect(opened).toHaveLength(2 * ORGS); // each org's key and its version's secrets, once
  const firstArrival = Math.min(...fake.received.map((r) => r.at));
  // The first answer comes LATENCY_MS after the first call arrived; before it, only the first
  // deployment (holding the one slot) has opened anything (with the old order: all 8).
  const beforeFirstAnswer = opened.filter((o) => o.at < firstArrival + LATENCY_MS / 2);
  expect(beforeFirstAnswer, JSON.stringify(opened)).toHaveLength(2);
}, 60_000);

test('a secret that cannot be opened once the slot is held fails that deployment alone, and frees the slot', async () => {
  const { orgIds } = await approvedWave(t, fake, 'slotbroken', ORGS);
  const broken = orgIds[0] as string;
  const { pool } = t.container.database;
  const stateOf = async (orgId: string) =>
    (
      await pool.query<{ state: string; error: { code: string } | null }>(
        'SELECT state, last_error AS error FROM deployments WHERE org_id = $1',
        [orgId],
      )
    ).rows[0];
  await forwardUntil(
    (orgId, sealed) =>
      orgId === broken
        ? {
            ...sealed,
            open: () => Promise.reject(new Error('injected: the org key cannot be decrypted')),
          }
        : sealed,
    (versionId) => t.container.ssoVersions.forwardable(versionId),
    async () =>
      (await stateOf(broken))?.state === 'failed' &&
      orgIds.slice(1).every((id) => fake.stateOf(id)?.kind === 'configured'),
  );
  expect(await stateOf(broken)).toMatchObject({
    state: 'failed',
    error: { code: 'DEPLOYMENT_NOT_SENDABLE' },
  });
  expect(fake.stateOf(broken)).toBeUndefined(); // never called
  expect(fake.gauge.most).toBe(1);
  const attempts = await pool.query<{ outcome: string }>(
    `SELECT a.outcome FROM deployment_attempts a JOIN deployments d ON d.id = a.deployment_id
      WHERE d.org_id = $1`,
    [broken],
  );
  expect(attempts.rows.map((r) => r.outcome)).toEqual(['refused']);
  expect(t.logs.join('\n')).not.toContain('cognigy-key-slotbroken');
}, 60_000);
