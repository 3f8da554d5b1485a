import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import {
  embeddedCluster,
  embeddedDatabaseUrl,
  type ServiceProcess,
  spawnService,
  tail,
  waitForReady,
} from '../support/process.js';
import { appliedCount, call, rollout, useCognigyWorld, waitFor, withClient } from '../support/rollout.js';

const PLATFORM_KEY = 'graceful-test-platform-key-0123456789abcdef';
const KEYRING = `graceful-1:${Buffer.alloc(32, 7).toString('base64')}`;
const ORGS = 20;
const LATENCY_MS = 2_000;
const CONCURRENCY = 8;
/** SHUTDOWN_TIMEOUT_MS: the forwarder gets half of it for the calls in flight. */
const GRACE_MS = 8_000;
const DEFAULT_LEASE_MS = 30_000;

const world = useCognigyWorld('graceful');

function start(env: Record<string, string>, ownProcessGroup = false): Promise<ServiceProcess> {
  return spawnService(
    {
      ENCRYPTION_KEYS: KEYRING,
      BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
      OUTBOUND_ALLOWLIST: '127.0.0.1',
      NODE_EXTRA_CA_CERTS: world.caFile,
      FORWARDING_CONCURRENCY: String(CONCURRENCY),
      FORWARDING_PER_API_BASE: String(CONCURRENCY),
      FORWARDING_POLL_MS: '100',
      SHUTDOWN_TIMEOUT_MS: String(GRACE_MS),
      LOG_LEVEL: 'info',
      ...env,
    },
    { ownProcessGroup },
  );
}

/** The `msg` of every JSON log line the process wrote, in order. */
const messages = (service: ServiceProcess): string[] =>
  service
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { msg: string }).msg);

const issuerVersion = (body: unknown) =>
  Number((body as { idpIssuer: string }).idpIssuer.replace('urn:v', ''));

/** Configure calls that reached the fake, per org and version. */
function receivedCalls(orgIds: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of world.fake.received) {
    if (!r.path.endsWith('/configure') || !r.organisation || !orgIds.includes(r.organisation)) continue;
    const key = `${r.organisation}/v${issuerVersion(r.body)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

interface AttemptRow {
  org_id: string;
  version_number: number;
  deployment_id: string;
  state: string;
  not_before: Date;
  outcome: string | null;
  number: number | null;
  worker: string | null;
}

function attempts(url: string, orgIds: readonly string[]): Promise<AttemptRow[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<AttemptRow>(
      `SELECT d.org_id, d.version_number, d.id AS deployment_id, d.state, d.not_before, a.outcome, a.number, a.worker
         FROM deployments d LEFT JOIN deployment_attempts a ON a.deployment_id = d.id
        WHERE d.org_id = ANY($1::uuid[]) ORDER BY d.org_id, d.version_number, a.number`,
      [orgIds],
    );
    return rows;
  });
}

/** Attempts that stand for a call that may have reached Cognigy, per org and version. */
function callAttempts(rows: readonly AttemptRow[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rows) {
    if (r.outcome === null || r.outcome === 'skipped' || r.outcome === 'refused') continue;
    const key = `${r.org_id}/v${r.version_number}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

describe.each([
  { mode: 'embedded PostgreSQL', signal: 'SIGTERM to the node process alone' },
  { mode: 'DATABASE_URL', signal: 'SIGTERM to the node process alone' },
  { mode: 'embedded PostgreSQL', signal: 'SIGINT to the process group (Ctrl-C)' },
] as const)('$signal ($mode)', ({ mode, signal }) => {
  const ctrlC = signal.startsWith('SIGINT');
  let database: TestDatabase | undefined;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(world.dir, mode === 'DATABASE_URL' ? 'url' : ctrlC ? 'ctrl-c' : 'embedded');
    if (mode === 'DATABASE_URL') database = await createTestDatabase('graceful');
  });
  afterAll(async () => database?.drop());

  it(`finishes or releases the calls in flight, records each, stops worker → server → database, exits 0; the next start sends the rest at once`, async () => {
    const env = { DATA_DIR: dataDir, ...(database ? { DATABASE_URL: database.url } : {}) };
    const first = await start(env, ctrlC);
    await waitForReady(first, 60_000);
    const urlOf = () => database?.url ?? embeddedDatabaseUrl(dataDir);
    const receivedBefore = world.fake.received.length;
    world.fake.setLatency(LATENCY_MS);
    // The first call hangs: the grace period must cut it off and release it.
    world.fake.queueFaults({ kind: 'hang' });
    let orgIds: string[];
    try {
      orgIds = (
        await rollout(first, {
          fake: world.fake,
          platformKey: PLATFORM_KEY,
          slug: `grace-${database ? 'u' : ctrlC ? 'c' : 'e'}`,
          count: ORGS,
        })
      ).orgIds;
      await waitFor(
        'a full set of calls in flight',
        async () => world.fake.received.length - receivedBefore >= CONCURRENCY,
        20_000,
      );
      const stopping = performance.now();
      if (ctrlC) process.kill(-(first.child.pid as number), 'SIGINT');
      else first.child.kill('SIGTERM');
      const exit = await first.exited;
      const stopMs = performance.now() - stopping;
      console.info(`${mode}: stopped in ${Math.round(stopMs)} ms`);
      expect(exit, tail(first)).toEqual({ code: 0, signal: null });
      expect(stopMs).toBeLessThan(GRACE_MS);
    } finally {
      world.fake.setLatency(0);
    }

    // worker, then server, then database, then the last line
    const log = messages(first);
    const order = [
      'shutting down',
      'forwarding: stopped',
      'HTTP server closed',
      'database pool closed',
      ...(database ? [] : ['embedded PostgreSQL stopped']),
      'stopped',
    ].map((msg) => log.indexOf(msg));
    expect(
      order.every((i) => i >= 0),
      tail(first),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    if (!database) expect(embeddedCluster(dataDir)?.alive ?? false).toBe(false);

    const sent = receivedCalls(orgIds);
    expect(sent.size).toBeGreaterThanOrEqual(CONCURRENCY);
    const second = await start(env);
    await waitForReady(second, 60_000);
    const readyAt = performance.now();
    const url = urlOf();
    // The first process's attempts (its worker id holds its pid): one for each call that reached
    // the fake before it stopped, none more.
    const byFirst = (await attempts(url, orgIds)).filter((r) => r.worker?.includes(`/${first.child.pid}/`));
    expect(callAttempts(byFirst)).toEqual(sent);

    await waitFor('every org applied', async () => (await appliedCount(url, orgIds)) === ORGS, 20_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n${tail(second)}`);
      },
    );
    const catchUpMs = performance.now() - readyAt;
    console.info(
      `${mode}: every remaining deployment applied ${Math.round(catchUpMs)} ms after the restart was ready`,
    );
    expect(catchUpMs).toBeLessThan(DEFAULT_LEASE_MS / 2);

    const rows = await attempts(url, orgIds);
    const interrupted = rows.filter((r) => r.outcome === 'interrupted');
    expect(interrupted).toHaveLength(1); // the hanging call, cut off at the grace deadline
    const [cut] = interrupted;
    // … and sent again by the second start: its deployment's next attempt succeeded
    expect(rows.filter((r) => r.deployment_id === cut?.deployment_id).map((r) => r.outcome)).toEqual([
      'interrupted',
      'success',
    ]);
    expect(rows.some((r) => r.outcome === 'unknown')).toBe(false); // nothing was left to a lease
    for (const id of orgIds) expect(world.fake.stateOf(id)).toMatchObject({ kind: 'configured' });

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});

describe('SIGKILL mid-rollout, a newer version approved meanwhile', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('killnine');
  });
  afterAll(async () => database?.drop());

  it('every configure call that reached Cognigy has an attempt (completed or outcome unknown); every org ends on its newest approved version; the audit chain verifies', async () => {
    const env = {
      DATA_DIR: join(world.dir, 'kill'),
      DATABASE_URL: database.url,
      FORWARDING_LEASE_SECONDS: '3',
    };
    const first = await start(env);
    await waitForReady(first, 60_000);
    const receivedBefore = world.fake.received.length;
    world.fake.setLatency(LATENCY_MS);
    let run: Awaited<ReturnType<typeof rollout>>;
    try {
      run = await rollout(first, {
        fake: world.fake,
        platformKey: PLATFORM_KEY,
        slug: 'kill-nine',
        count: ORGS,
      });
      await waitFor(
        'v1 calls in flight',
        async () => world.fake.received.length - receivedBefore >= CONCURRENCY,
        20_000,
      );
      await run.approveAll('urn:v2'); // v1 of the orgs not yet sent is superseded
      await waitFor(
        'v2 calls in flight',
        async () => world.fake.received.some((r) => issuerVersion(r.body) === 2),
        20_000,
      );
      first.child.kill('SIGKILL');
      await first.exited;
    } finally {
      world.fake.setLatency(0);
    }
    const orgIds = run.orgIds;
    const cutOff = await withClient(database.url, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `SELECT id FROM deployments WHERE state = 'in_flight' AND org_id = ANY($1::uuid[])`,
        [orgIds],
      );
      return rows.map((r) => r.id);
    });
    expect(cutOff.length).toBeGreaterThan(0); // the kill really cut calls off

    const second = await start(env);
    await waitForReady(second, 60_000);
    await waitFor(
      'every org has v2 applied',
      async () => (await appliedCount(database.url, orgIds, 2)) === ORGS,
      30_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${tail(second)}`);
    });

    const rows = await attempts(database.url, orgIds);
    const recorded = callAttempts(rows);
    for (const [key, n] of receivedCalls(orgIds)) {
      expect(recorded.get(key) ?? 0, key).toBeGreaterThanOrEqual(n);
    }
    // each deployment cut off by the kill carries an attempt of unknown outcome
    for (const id of cutOff) {
      expect(rows.filter((r) => r.deployment_id === id).map((r) => r.outcome)).toContain('unknown');
    }
    for (const id of orgIds) {
      expect(world.fake.stateOf(id)).toMatchObject({ body: { idpIssuer: 'urn:v2' } });
      const state = await call(second, 'GET', `/v1/orgs/${id}/sso`, run.adminKey);
      expect(state).toMatchObject({
        desired: { number: 2 },
        applied: { number: 2 },
        inFlight: null,
        waiting: null,
      });
    }
    const verify = await call(second, 'GET', '/v1/audit-events/verify', run.adminKey);
    expect(verify).toMatchObject({ ok: true, firstMismatch: null });
    expect(verify.checked).toBeGreaterThan(0);

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 180_000);
});
