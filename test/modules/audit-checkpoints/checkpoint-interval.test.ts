/**
 * The interval's checkpoints: on the job queue, one job per period however many processes schedule
 * it; each run signs only the chains that moved since their newest checkpoint (a checkpoint does not
 * move its own chain); and a rotated key leaves every older checkpoint verifiable.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../src/config/config.js';
import { createCheckpointsService } from '../../../src/modules/audit-checkpoints/checkpoints.service.js';
import { generatedSigningKeyFile, loadSigningKey } from '../../../src/modules/crypto/signing-key-source.js';
import { createJobRunner } from '../../../src/modules/jobs/job-runner.js';
import {
  bearer,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { waitFor } from '../webhooks/webhook-support.js';

let t: TestApp;
let a: TenantFixture;
let b: TenantFixture;
let appKey: Awaited<ReturnType<typeof loadSigningKey>>;

const INTERVAL_MS = 3_600_000;

/** A process of the service as far as checkpoints go: its own job runner and service on the shared database. */
function replica(name: string) {
  const jobs = createJobRunner({
    db: t.database.db,
    logger: t.container.logger,
    concurrency: 2,
    leaseSeconds: 10,
    pollMs: 50,
    workerId: name,
  });
  const service = createCheckpointsService({
    db: t.database.db,
    change: t.container.change,
    signingKey: appKey,
    jobs,
    intervalMs: INTERVAL_MS,
    logger: t.container.logger,
  });
  return { jobs, service };
}

const checkpointsOf = async (chain: string) =>
  (
    await t.database.pool.query<{ seq: number; key_id: string }>(
      'SELECT seq, key_id FROM audit_checkpoints WHERE chain = $1 ORDER BY id',
      [chain],
    )
  ).rows;

const jobsOfPeriod = async () =>
  (
    await t.database.pool.query<{ key: string; state: string }>(
      `SELECT key, state FROM jobs WHERE queue = 'audit.checkpoint' ORDER BY key`,
    )
  ).rows;

beforeAll(async () => {
  const signing = Buffer.alloc(32, 3).toString('base64');
  t = await createTestApp({ AUDIT_SIGNING_KEY: signing }, 'checkpoint-interval');
  appKey = await loadSigningKey(t.config, t.container.logger);
  a = await createTenant(t.app);
  b = await createTenant(t.app);
});

afterAll(async () => t?.close());

describe('the interval job', () => {
  test('two processes scheduling the same period make one job; it signs every chain with events once', async () => {
    const one = replica('one');
    const two = replica('two');
    const at = Date.parse('2026-12-07T10:10:00Z');
    const created = await Promise.all([
      one.service.schedule(at),
      two.service.schedule(at),
      one.service.schedule(at + 60_000),
    ]);
    expect(created.filter(Boolean)).toHaveLength(1);
    one.jobs.start();
    two.jobs.start();
    try {
      await waitFor(
        'the period’s job',
        async () => (await jobsOfPeriod()).every((j) => j.state === 'done') || undefined,
      );
      expect(await jobsOfPeriod()).toEqual([{ key: 'interval:2026-12-07T10:00:00.000Z', state: 'done' }]);
      for (const chain of ['platform', a.id, b.id]) expect(await checkpointsOf(chain), chain).toHaveLength(1);
      // each checkpoint signs the chain's head, its own audit.checkpointed event
      const report = (
        await t.app.inject({ method: 'GET', url: '/v1/audit-events/verify', headers: bearer(a.adminKey) })
      ).json();
      expect(report).toMatchObject({ ok: true, checkpoints: { problemCount: 0 } });
      expect(report.checkpoints.newestSigned.seq).toBe(report.checked);

      // the next period: only tenant a moved
      await createOrg(t.app, a.adminKey, 'moved');
      const next = at + INTERVAL_MS;
      expect(
        (await Promise.all([one.service.schedule(next), two.service.schedule(next)])).filter(Boolean),
      ).toHaveLength(1);
      await waitFor(
        'the next period’s job',
        async () => (await jobsOfPeriod()).every((j) => j.state === 'done') || undefined,
      );
      expect(await checkpointsOf(a.id)).toHaveLength(2);
      expect(await checkpointsOf(b.id)).toHaveLength(1);
      expect(await checkpointsOf('platform')).toHaveLength(1);

      // a period in which nothing moved signs nothing (a checkpoint does not move its chain)
      expect(await one.service.schedule(next + INTERVAL_MS)).toBe(true);
      await waitFor(
        'the third job',
        async () => (await jobsOfPeriod()).every((j) => j.state === 'done') || undefined,
      );
      expect((await jobsOfPeriod()).length).toBe(3);
      expect([...(await checkpointsOf(a.id)), ...(await checkpointsOf(b.id))]).toHaveLength(3);
    } finally {
      await Promise.all([one.jobs.stop(1_000), two.jobs.stop(1_000)]);
    }
  });
});

describe('rotation', () => {
  test('npm run audit:rotate-signing-key replaces the generated key, records it, and old checkpoints stay verifiable', {
    timeout: 120_000,
  }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'signing-'));
    const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: t.testDb.url, DATA_DIR: dataDir });
    const first = await loadSigningKey(config, t.container.logger);
    expect(statSync(generatedSigningKeyFile(dataDir)).mode & 0o777).toBe(0o600);
    expect((await loadSigningKey(config, t.container.logger)).kid).toBe(first.kid); // generated once

    const sign = async (key: typeof first) => {
      const jobs = createJobRunner({
        db: t.database.db,
        logger: t.container.logger,
        concurrency: 1,
        leaseSeconds: 10,
        pollMs: 50,
      });
      const service = createCheckpointsService({
        db: t.database.db,
        change: t.container.change,
        signingKey: key,
        jobs,
        intervalMs: INTERVAL_MS,
        logger: t.container.logger,
      });
      return service.write(
        {
          actor: { type: 'system', id: null, name: 'test' },
          requestId: null,
          sourceIp: null,
          userAgent: null,
        },
        b.id,
        'request',
      );
    };
    const old = await sign(first);

    const run = (env: Record<string, string>) =>
      spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/audit-rotate-signing-key.ts'], {
        encoding: 'utf8',
        env: {
          ...process.env,
          NODE_ENV: 'test',
          DATABASE_URL: t.testDb.url,
          DATA_DIR: dataDir,
          LOG_LEVEL: 'info',
          ...env,
        },
        timeout: 60_000,
      });
    const rotated = run({});
    expect(rotated.status, rotated.stderr + rotated.stdout).toBe(0);
    const second = await loadSigningKey(config, t.container.logger);
    expect(second.kid).not.toBe(first.kid);
    expect(statSync(generatedSigningKeyFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(rotated.stdout).toContain(second.kid);

    const fresh = await sign(second);
    expect([old.keyId, fresh.keyId]).toEqual([first.kid, second.kid]);
    const report = (
      await t.app.inject({ method: 'GET', url: '/v1/audit-events/verify', headers: bearer(b.adminKey) })
    ).json();
    expect(report).toMatchObject({ ok: true, checkpoints: { problemCount: 0 } });
    const kids = (await t.app.inject({ method: 'GET', url: '/v1/audit-events/checkpoint-keys' }))
      .json()
      .keys.map((k: { kid: string }) => k.kid);
    expect(kids).toEqual(expect.arrayContaining([first.kid, second.kid]));

    const event = await t.database.pool.query(
      `SELECT diff FROM audit_events WHERE chain = 'platform' AND action = 'audit.signing_key_added' AND target_id = $1`,
      [second.kid],
    );
    expect(event.rows[0]?.diff.after).toMatchObject({
      keyId: second.kid,
      reason: 'rotation',
      previousKeyId: first.kid,
    });

    // with AUDIT_SIGNING_KEY set, the operator replaces that value instead
    const refused = run({ AUDIT_SIGNING_KEY: Buffer.alloc(32, 5).toString('base64') });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toContain('AUDIT_SIGNING_KEY is set');
    expect(refused.stdout).not.toContain(Buffer.alloc(32, 5).toString('base64'));
  });
});
