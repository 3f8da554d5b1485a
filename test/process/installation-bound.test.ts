/**
 * One bound per Cognigy installation across every process on the database (issue 21, item 5): three
 * service processes on one database forward 200 orgs of one installation (a fake Cognigy answering
 * in 1 s, counting the calls it has open at once). Each process may have 64 calls in flight; together
 * they never have more than FORWARDING_PER_API_BASE (16) open at that installation, and reach it.
 * Then the same with one process killed with -9 mid-run: its slots stay taken until their lease runs
 * out, are then taken over, and every deployment still succeeds.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { type ServiceProcess, spawnService, tail, waitForReady } from '../support/process.js';
import { appliedCount, rollout, useCognigyWorld, waitFor, withClient } from '../support/rollout.js';

const PLATFORM_KEY = 'bound-test-platform-key-0123456789abcdefghij';
const KEYRING = `bound-1:${Buffer.alloc(32, 5).toString('base64')}`;
const ORGS = 200;
const BOUND = 16;
const LEASE_SECONDS = 3;

const world = useCognigyWorld('bound');

async function start(
  database: TestDatabase,
  label: string,
  { worker = true, leaseSeconds = LEASE_SECONDS } = {},
): Promise<ServiceProcess> {
  const service = await spawnService({
    FORWARDING_WORKER: String(worker),
    DATABASE_URL: database.url,
    ENCRYPTION_KEYS: KEYRING,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    DATA_DIR: join(world.dir, label),
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    NODE_EXTRA_CA_CERTS: world.caFile,
    FORWARDING_LEASE_SECONDS: String(leaseSeconds),
    FORWARDING_POLL_MS: '100',
    // FORWARDING_CONCURRENCY (64) and FORWARDING_PER_API_BASE (16) keep their defaults.
    LOG_LEVEL: 'warn',
  });
  await waitForReady(service, 90_000);
  return service;
}

/**
 * 200 orgs approved through a process that does not forward (stopped afterwards): every deployment
 * waits when the forwarding processes start, so that they have more work than slots from the start.
 */
async function approvedWave(database: TestDatabase, slug: string) {
  const api = await start(database, `${slug}-api`, { worker: false });
  try {
    return await rollout(api, { fake: world.fake, platformKey: PLATFORM_KEY, slug, count: ORGS });
  } finally {
    api.child.kill('SIGTERM');
    await api.exited;
  }
}

/** Deployments of `orgIds` by state. */
const states = (url: string, orgIds: string[]) =>
  withClient(url, async (client) => {
    const { rows } = await client.query<{ state: string; n: string }>(
      'SELECT state, count(*) AS n FROM deployments WHERE org_id = ANY($1::uuid[]) GROUP BY state',
      [orgIds],
    );
    return Object.fromEntries(rows.map((r) => [r.state, Number(r.n)]));
  });

/** The holders of the slots held now (`live`: only those whose lease has not run out). */
const slotHolders = (url: string, live = false) =>
  withClient(url, async (client) => {
    const { rows } = await client.query<{ holder: string }>(
      `SELECT holder FROM installation_slots WHERE holder IS NOT NULL${live ? ' AND lease_expires_at > now()' : ''}`,
    );
    return rows.map((r) => r.holder);
  });

/**
 * A database of its own and the fake answering in 1 s, for one test; the processes it starts
 * (`run.services`) are stopped after it.
 */
function useRun(label: string) {
  const run = { database: undefined as unknown as TestDatabase, services: [] as ServiceProcess[] };
  beforeAll(async () => {
    run.database = await createTestDatabase(label);
    world.fake.setLatency(1_000);
  });
  afterAll(async () => {
    world.fake.setLatency(0);
    for (const s of run.services) s.child.kill('SIGTERM');
    await Promise.all(run.services.map((s) => s.exited));
    await run.database?.drop();
  });
  return run;
}

describe('three processes on one database, 200 orgs on one installation answering in 1 s', () => {
  const run = useRun('bound3');

  it(`never have more than ${BOUND} calls open at the installation together, reach ${BOUND}, and every deployment succeeds`, async () => {
    const { orgIds } = await approvedWave(run.database, 'bound');
    world.fake.gauge.most = world.fake.gauge.now;
    const started = Date.now();
    // A lease far longer than any stall of a loaded machine: no deployment is reclaimed here, so every
    // call is made exactly once (the kill test below uses a short one).
    run.services = await Promise.all(
      ['a', 'b', 'c'].map((label) => start(run.database, `three-${label}`, { leaseSeconds: 30 })),
    );
    await waitFor(
      'every deployment succeeded',
      async () => (await appliedCount(run.database.url, orgIds)) === ORGS,
      120_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${run.services.map((s) => tail(s, 10)).join('\n')}`);
    });
    const seconds = (Date.now() - started) / 1000;
    expect(world.fake.gauge.most).toBeLessThanOrEqual(BOUND);
    expect(world.fake.gauge.most).toBe(BOUND); // reached: the test is not vacuous
    expect(await states(run.database.url, orgIds)).toEqual({ succeeded: ORGS });
    for (const id of orgIds) expect(world.fake.stateOf(id)).toMatchObject({ kind: 'configured' });
    // Every call was made once (no slot wait counted as an attempt), and the three processes shared them.
    const attempts = await withClient(run.database.url, (client) =>
      client.query<{ n: string; workers: string; outcomes: string[] }>(
        `SELECT count(*) AS n, count(DISTINCT a.worker) AS workers, array_agg(DISTINCT a.outcome) AS outcomes
           FROM deployment_attempts a JOIN deployments d ON d.id = a.deployment_id WHERE d.org_id = ANY($1::uuid[])`,
        [orgIds],
      ),
    );
    expect(Number(attempts.rows[0]?.n), JSON.stringify(attempts.rows[0])).toBe(ORGS);
    expect(Number(attempts.rows[0]?.workers)).toBeGreaterThanOrEqual(2);
    await waitFor(
      'every slot given back',
      async () => (await slotHolders(run.database.url)).length === 0,
      5_000,
    );
    // 200 calls of 1 s through 16 slots take at least 12.5 s (from the first start).
    expect(seconds).toBeGreaterThan(ORGS / BOUND);
  }, 240_000);
});

describe('the same with one of the three processes killed with -9 mid-run', () => {
  const run = useRun('boundkill');

  it(`its slots are taken over once their lease (${LEASE_SECONDS} s) has run out, the bound holds throughout, and every deployment succeeds`, async () => {
    const { orgIds } = await approvedWave(run.database, 'boundkill');
    world.fake.gauge.most = world.fake.gauge.now;
    run.services = await Promise.all(['a', 'b', 'c'].map((label) => start(run.database, `kill-${label}`)));
    // Kill the process that holds the most slots now (its holder id is `<host>/<pid>/<random>`).
    let victim: ServiceProcess | undefined;
    await waitFor(
      'a process holding slots',
      async () => {
        const holders = await slotHolders(run.database.url);
        const held = (s: ServiceProcess) =>
          holders.filter((h) => h.split('/')[1] === String(s.child.pid)).length;
        victim = [...run.services].sort((x, y) => held(y) - held(x)).find((s) => held(s) > 0);
        return victim !== undefined;
      },
      30_000,
    );
    const dead = victim as ServiceProcess;
    const before = await appliedCount(run.database.url, orgIds);
    dead.child.kill('SIGKILL');
    const killedAt = Date.now();
    await dead.exited;
    expect(before).toBeLessThan(ORGS); // mid-run
    const survivors = run.services.filter((s) => s !== dead);
    const deadHolds = async () =>
      (await slotHolders(run.database.url)).filter((h) => h.split('/')[1] === String(dead.child.pid)).length;
    expect(await deadHolds()).toBeGreaterThan(0); // held after the kill, until the lease runs out

    const logged = (s: ServiceProcess) => s.stdout() + s.stderr();
    const tookOver = () =>
      survivors.some((s) => logged(s).includes('took over installation slots whose lease ran out'));
    await waitFor('a survivor took over the dead process’s slots', async () => tookOver(), 30_000);
    // Not before its lease ran out (renewed at most a third of a lease before the kill).
    expect(Date.now() - killedAt).toBeGreaterThanOrEqual(((2 * LEASE_SECONDS) / 3) * 1000 - 200);
    await waitFor(
      'every org applied',
      async () => (await appliedCount(run.database.url, orgIds)) === ORGS,
      120_000,
    ).catch((error: Error) => {
      throw new Error(`${error.message}\n${survivors.map((s) => tail(s, 10)).join('\n')}`);
    });
    expect(world.fake.gauge.most).toBeLessThanOrEqual(BOUND);
    const byState = await states(run.database.url, orgIds);
    expect(byState.failed ?? 0).toBe(0);
    expect(byState.succeeded).toBe(ORGS);
    // What the dead process still holds is free: its lease has run out (taken over when next needed).
    await waitFor(
      'every live slot given back',
      async () => (await slotHolders(run.database.url, true)).length === 0,
      5_000,
    );
  }, 240_000);
});
