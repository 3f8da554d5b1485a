/**
 * One bound per Cognigy installation across processes (issue 21, item 5). Two parts:
 *
 * 1. Throughput of the built service (`dist/`, as `npm start` runs it) with 1 and with 3 processes on
 *    one database, against fake Cognigy installations (in a process of their own) answering in
 *    LATENCY_MS (1,000 ms): ONE_ORGS (200) orgs on one installation — both runs bounded by the
 *    installation's 16 slots, so about equal: that is the point — and TEN_ORGS (1,000) orgs spread
 *    over 10 installations, where 3 processes should scale (64 calls per process; 10 × 16 slots).
 *    Baseline in the same run: the bound per process only (FORWARDING_PER_API_BASE_SHARED=false), as
 *    before issue 21. The most calls each installation had open at once is counted at the fakes.
 * 2. What a slot costs per call, in this process on the same database: round trips and milliseconds of
 *    a claim and its release (alone, and 64 callers on 16 slots), against the in-process bound, and
 *    against the alternative of transaction-scoped advisory locks, which hold a pooled connection for
 *    the whole call (throughput with a pool of 10, and how long the API's own statements wait).
 *
 *   npm run bench:installation-bound      (BENCH_DATABASE_URL to use a server; LATENCY_MS, ONE_ORGS, TEN_ORGS)
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase } from '../src/db/client.js';
import type { InstallationBound } from '../src/modules/forwarding/installation-bound.js';
import { sharedInstallationBound } from '../src/modules/forwarding/installation-slots.js';
import { keyedLimiter } from '../src/modules/forwarding/keyed-limiter.js';
import { call } from '../test/support/process.js';
import { testCertificates } from '../test/support/tls.js';
import { type Spawned, spawnService } from './msp/processes.js';
import { BENCH_ENCRYPTION_KEYS, PLATFORM_KEY } from './support/app.js';
import { eachLimited } from './support/each-limited.js';
import { benchDatabase, machine, percentile } from './support/environment.js';
import { startRemoteFakeCognigy } from './support/remote-fake-cognigy.js';
import { writeSection } from './support/report.js';

const LATENCY_MS = Number(process.env.LATENCY_MS ?? 1_000);
const ONE_ORGS = Number(process.env.ONE_ORGS ?? 200);
const TEN_ORGS = Number(process.env.TEN_ORGS ?? 1_000);
const INSTALLATIONS = 10;
const BOUND = 16;
const CONCURRENCY = 64;
const log = (msg: string) => process.stderr.write(`[bench:installation-bound] ${msg}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const fake = await startRemoteFakeCognigy(INSTALLATIONS);
const database = await benchDatabase('bound');
const dir = await mkdtemp(join(tmpdir(), 'sso-bench-bound-'));
const caFile = join(dir, 'ca.pem');
writeFileSync(caFile, fake.caPem);
const admin = new pg.Pool({ connectionString: database.url, max: 2 });

const serviceEnv = (label: string, extra: Record<string, string> = {}) => ({
  NODE_ENV: 'development',
  DATABASE_URL: database.url,
  ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
  BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
  DATA_DIR: join(dir, label),
  OUTBOUND_ALLOWLIST: '127.0.0.1',
  NODE_EXTRA_CA_CERTS: caFile,
  LOG_LEVEL: 'warn',
  FORWARDING_POLL_MS: '100',
  FORWARDING_CONCURRENCY: String(CONCURRENCY),
  FORWARDING_PER_API_BASE: String(BOUND),
  ...extra,
});

/** A tenant's orgs, `count` per wave, each on installation `installationOf(i)`; approved once, unsent. */
async function seed(api: Spawned) {
  const tenant = await call(api, 'POST', '/v1/tenants', PLATFORM_KEY, { slug: 'bound', name: 'Bound' });
  const key = tenant.adminKey.token as string;
  const editor = (await call(api, 'POST', '/v1/api-keys', key, { name: 'e', roles: ['editor'] })).token;
  const approver = (await call(api, 'POST', '/v1/api-keys', key, { name: 'a', roles: ['approver'] })).token;
  const waves = { one: [] as string[], ten: [] as string[] };
  const keys: Array<[string, string]> = [];
  const plan = [
    ...Array.from({ length: ONE_ORGS }, (_, i) => ({ wave: 'one' as const, i, base: fake.apiBases[0] })),
    ...Array.from({ length: TEN_ORGS }, (_, i) => ({
      wave: 'ten' as const,
      i,
      base: fake.apiBases[i % INSTALLATIONS],
    })),
  ];
  await eachLimited(plan, 8, async ({ wave, i, base }) => {
    const org = await call(api, 'POST', '/v1/orgs', key, {
      slug: `${wave}-${i}`,
      name: `${wave} ${i}`,
      labels: { wave },
    });
    const apiKey = `bound-${wave}-${i}-0123456789`;
    keys.push([apiKey, org.id]);
    await call(api, 'PUT', `/v1/orgs/${org.id}/cognigy`, key, { apiBase: base, apiKey });
    waves[wave].push(org.id);
  });
  await fake.addKeys(keys);
  const { certPem } = testCertificates();
  for (const wave of ['one', 'ten']) {
    const drafted = await call(api, 'POST', '/v1/sso/bulk', editor, {
      selector: { labels: { wave } },
      change: {
        kind: 'saml',
        idpIssuer: `urn:${wave}`,
        idpLoginEndpoint: 'https://idp.example.com/login',
        idpCertificate: certPem,
      },
    });
    await call(api, 'POST', '/v1/sso/bulk/approve', approver, { bulkId: drafted.bulkId });
  }
  // Held back: each run releases its wave's deployments once its processes are up.
  await admin.query(`UPDATE deployments SET not_before = 'infinity' WHERE state = 'pending'`);
  return waves;
}

/** A new pending deployment of every org of `orgIds`, of its applied version (as a new approval would). */
async function enqueueAgain(orgIds: string[]) {
  await admin.query(
    `INSERT INTO deployments (id, tenant_id, org_id, version_id, version_number, content_hash)
     SELECT gen_random_uuid(), tenant_id, org_id, version_id, version_number, content_hash
       FROM (SELECT DISTINCT ON (org_id) * FROM deployments WHERE state = 'succeeded' AND org_id = ANY($1::uuid[])
              ORDER BY org_id, finished_at DESC) applied`,
    [orgIds],
  );
}

interface Run {
  readonly name: string;
  readonly processes: number;
  readonly shared: boolean;
  readonly seconds: number;
  readonly perSecond: number;
  readonly most: number[];
}

let first = true;
/** Starts `processes` workers, releases the wave's deployments, waits until all succeeded. */
async function run(name: string, orgIds: string[], processes: number, shared: boolean): Promise<Run> {
  const workers = await Promise.all(
    Array.from({ length: processes }, (_, i) =>
      spawnService(serviceEnv(`w${i}`, { FORWARDING_PER_API_BASE_SHARED: String(shared) })),
    ),
  );
  try {
    await fake.resetGauges();
    const started = performance.now();
    if (first) {
      await admin.query(
        `UPDATE deployments SET not_before = now() WHERE state = 'pending' AND org_id = ANY($1::uuid[])`,
        [orgIds],
      );
      first = false;
    } else await enqueueAgain(orgIds);
    for (;;) {
      await sleep(100);
      const { rows } = await admin.query<{ open: string; failed: string }>(
        `SELECT count(*) FILTER (WHERE state IN ('pending', 'in_flight')) AS open,
                count(*) FILTER (WHERE state = 'failed') AS failed
           FROM deployments WHERE org_id = ANY($1::uuid[]) AND not_before <> 'infinity'`,
        [orgIds],
      );
      if (Number(rows[0]?.failed) > 0) throw new Error(`${rows[0]?.failed} deployments failed`);
      if (Number(rows[0]?.open) === 0) break;
      if (performance.now() - started > 600_000) throw new Error('still open after 600 s');
    }
    const seconds = (performance.now() - started) / 1000;
    const { most } = await fake.stats();
    const result = { name, processes, shared, seconds, perSecond: orgIds.length / seconds, most };
    log(
      `${name}, ${processes} process(es), ${shared ? 'shared' : 'per-process'} bound: ${result.perSecond.toFixed(1)}/s, most open ${Math.max(...most)}`,
    );
    return result;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
  }
}

// ---- part 2: the cost of a slot per call, in this process --------------------------------------

const pool = openDatabase({ url: database.url, poolMax: 10 });
let statements = 0;
const counted = pool.pool.query.bind(pool.pool);
pool.pool.query = ((...args: Parameters<typeof counted>) => {
  statements += 1;
  return counted(...args);
}) as typeof pool.pool.query;
const quiet = { warn: () => undefined, error: () => undefined };

/** `calls` calls through `bound` by `callers` at once, each holding its place `holdMs`. */
async function through(
  bound: InstallationBound,
  installation: string,
  calls: number,
  callers: number,
  holdMs: number,
) {
  const signal = new AbortController().signal;
  const before = statements;
  const started = performance.now();
  let left = calls;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (left > 0) {
        left -= 1;
        const release = await bound.acquire(installation, signal);
        if (holdMs > 0) await sleep(holdMs);
        release();
      }
    }),
  );
  const ms = performance.now() - started;
  await sleep(50); // the last releases
  return {
    msPerCall: ms / calls,
    perSecond: (calls / ms) * 1000,
    statementsPerCall: (statements - before) / calls,
  };
}

/** The alternative: a transaction-scoped advisory lock per call, held (with its connection) for the call. */
async function throughAdvisory(calls: number, callers: number, holdMs: number) {
  let left = calls;
  let round = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (left > 0) {
        left -= 1;
        const client = await pool.pool.connect();
        try {
          await client.query('BEGIN');
          round += 1;
          for (let slot = 0; ; slot = (slot + 1) % BOUND) {
            round += 1;
            const { rows } = await client.query<{ ok: boolean }>(
              'SELECT pg_try_advisory_xact_lock(42, $1) AS ok',
              [slot],
            );
            if (rows[0]?.ok) break;
            if (slot === BOUND - 1) await sleep(10);
          }
          await sleep(holdMs); // the call, its connection held
          await client.query('COMMIT');
          round += 1;
        } finally {
          client.release();
        }
      }
    }),
  );
  const ms = performance.now() - started;
  return { perSecond: (calls / ms) * 1000, statementsPerCall: round / calls };
}

/** p50/p99 of a one-statement API read while `load` runs. */
async function apiWaitDuring(load: Promise<unknown>) {
  const times: number[] = [];
  let done = false;
  void load.finally(() => {
    done = true;
  });
  while (!done) {
    const t = performance.now();
    await pool.db.selectFrom('installation_slots').select('slot').limit(1).execute();
    times.push(performance.now() - t);
    await sleep(5);
  }
  await load;
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

try {
  await fake.setLatency(LATENCY_MS);
  const api = await spawnService(serviceEnv('api', { FORWARDING_WORKER: 'false' }));
  const waves = await seed(api).finally(() => api.stop());
  log(`seeded ${ONE_ORGS} + ${TEN_ORGS} orgs`);

  const runs: Run[] = [];
  runs.push(await run('one installation', waves.one, 1, true));
  runs.push(await run('one installation', waves.one, 3, true));
  runs.push(await run('one installation', waves.one, 3, false));
  first = true;
  runs.push(await run(`${INSTALLATIONS} installations`, waves.ten, 1, true));
  runs.push(await run(`${INSTALLATIONS} installations`, waves.ten, 3, true));
  runs.push(await run(`${INSTALLATIONS} installations`, waves.ten, 3, false));

  const shared = (name: string, n: number) =>
    runs.find((r) => r.name === name && r.processes === n && r.shared) as Run;
  const row = (r: Run) => {
    const base = shared(r.name, 1);
    return `| ${r.name} | ${r.processes} | ${r.shared ? 'shared (slots)' : 'per process (before)'} | ${r.seconds.toFixed(1)} s | ${r.perSecond.toFixed(1)}/s | ${(r.perSecond / base.perSecond).toFixed(2)}× | ${Math.max(...r.most)} |`;
  };

  // Part 2.
  await fake.close().catch(() => undefined);
  const SLOT_CALLS = 1_000;
  const alone = await through(
    sharedInstallationBound({
      db: pool.db,
      worker: 'bench-alone',
      bound: BOUND,
      leaseMs: 30_000,
      logger: quiet,
    }),
    'bench://alone',
    SLOT_CALLS,
    1,
    0,
  );
  const inProcess = await through(keyedLimiter(BOUND), 'bench://process', SLOT_CALLS, 1, 0);
  const HOLD = 20;
  let loaded = { msPerCall: 0, perSecond: 0, statementsPerCall: 0 };
  const loadedWait = await apiWaitDuring(
    (async () => {
      loaded = await through(
        sharedInstallationBound({
          db: pool.db,
          worker: 'bench-loaded',
          bound: BOUND,
          leaseMs: 30_000,
          logger: quiet,
        }),
        'bench://loaded',
        2_000,
        CONCURRENCY,
        HOLD,
      );
    })(),
  );
  let advisory = { perSecond: 0, statementsPerCall: 0 };
  const advisoryWait = await apiWaitDuring(
    (async () => {
      advisory = await throughAdvisory(2_000, CONCURRENCY, HOLD);
    })(),
  );
  log(
    `slot alone ${alone.msPerCall.toFixed(3)} ms, ${alone.statementsPerCall.toFixed(2)} statements; loaded ${loaded.perSecond.toFixed(0)}/s, ${loaded.statementsPerCall.toFixed(2)} statements; advisory ${advisory.perSecond.toFixed(0)}/s`,
  );

  await writeSection(
    'installation-bound',
    `## One bound per Cognigy installation across processes (issue 21, item 5)

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:installation-bound\`

The built service (\`dist/\`) with 1 or 3 processes on one database (FORWARDING_CONCURRENCY ${CONCURRENCY},
FORWARDING_PER_API_BASE ${BOUND}), forwarding to fake Cognigy installations in a process of their own
(HTTPS on loopback) that answer in ${LATENCY_MS} ms: ${ONE_ORGS} orgs on one installation, and ${TEN_ORGS.toLocaleString('en')} orgs spread over
${INSTALLATIONS} installations (each its own origin). Wall time from releasing the wave's deployments (the processes already
up) until every one succeeded; the most calls open at once at one installation counted by the fakes. Baseline
in the same run: the bound per process only (\`FORWARDING_PER_API_BASE_SHARED=false\`, as before issue 21).
Ratios against 1 process with the shared bound.

| orgs on | processes | bound | wall time | forwards/s | ratio | most open at one installation |
| --- | --- | --- | --- | --- | --- | --- |
${runs.map(row).join('\n')}

Bounds: one installation, shared: ${BOUND} / ${LATENCY_MS / 1000} s = ${(BOUND / (LATENCY_MS / 1000)).toFixed(0)}/s whatever the number of processes; per process, 3 × ${BOUND} open at once.
${INSTALLATIONS} installations: 1 process ${CONCURRENCY}/s (its FORWARDING_CONCURRENCY), 3 processes min(3 × ${CONCURRENCY}, ${INSTALLATIONS} × ${BOUND}) = ${Math.min(3 * CONCURRENCY, INSTALLATIONS * BOUND)}/s shared.

What a slot costs, measured in this process on the same database (pool of 10), calls of ${HOLD} ms simulated:

| | calls/s | database statements per call | ms per call | an API read meanwhile (p50 / p99) |
| --- | --- | --- | --- | --- |
| slot claim + release, one caller, nothing held (${SLOT_CALLS.toLocaleString('en')} calls) | ${(1000 / alone.msPerCall).toFixed(0)} | ${alone.statementsPerCall.toFixed(2)} | ${alone.msPerCall.toFixed(3)} | |
| in-process bound only (no database) | ${(1000 / inProcess.msPerCall).toFixed(0)} | ${inProcess.statementsPerCall.toFixed(2)} | ${inProcess.msPerCall.toFixed(4)} | |
| slots, ${CONCURRENCY} callers on ${BOUND} slots (ideal ${((BOUND / HOLD) * 1000).toFixed(0)}/s) | ${loaded.perSecond.toFixed(0)} | ${loaded.statementsPerCall.toFixed(2)} | | ${loadedWait.p50.toFixed(2)} / ${loadedWait.p99.toFixed(2)} ms |
| advisory xact locks, ${CONCURRENCY} callers, a connection held per call (pool of 10) | ${advisory.perSecond.toFixed(0)} | ${advisory.statementsPerCall.toFixed(2)} | | ${advisoryWait.p50.toFixed(2)} / ${advisoryWait.p99.toFixed(2)} ms |`,
  );
} finally {
  await pool.close();
  await admin.end();
  await fake.close().catch(() => undefined);
  await database.close();
  await rm(dir, { recursive: true, force: true });
}
