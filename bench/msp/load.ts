/**
 * Issue 7 at MSP scale, targets 1, 2, 3 and 7: the service as `npm start` runs it, on the seeded
 * data set (bench/msp/seed.ts), under HTTP load from this (second) process with autocannon on
 * loopback, side by side with the baseline — a bare Fastify route reading one row by primary key
 * with `pg` (bench/msp/baseline-server.ts) — in the same run. Each scenario runs ROUNDS times
 * (interleaved with the others, so that drift hits all alike) for DURATION seconds; figures are the
 * medians of the rounds. The service's RSS is sampled throughout and after each round.
 *
 *   npm run bench:load      (ROUNDS=3 DURATION=10 CONNECTIONS=32; sizes: see seed.ts;
 *                            SEED_FILE=… reuses a world saved by an earlier run with KEEP_DATABASE=1)
 *   ONLY=1,5 …               runs only those scenarios (by position, 0 = the baseline, always run) and
 *                            writes no section: for profiling one endpoint
 *   SERVICE_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'   node flags for the service
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { startFakeCognigy } from '../../test/support/fake-cognigy.js';
import { testCertificates } from '../../test/support/tls.js';
import {
  BENCH_AUDIT_SIGNING_KEY,
  BENCH_ENCRYPTION_KEYS,
  PLATFORM_KEY,
  startBenchApp,
} from '../support/app.js';
import { cpuMsOf, postgresCpu, postgresCpuSince } from '../support/cpu.js';
import { benchDatabase, machine, ms } from '../support/environment.js';
import { startBenchIdp } from '../support/idp.js';
import { loopbackOutbound } from '../support/loopback-outbound.js';
import { writeSection } from '../support/report.js';
import { rssOf, rssSampler, spawnBaseline, spawnService, startFlags } from './processes.js';
import { DEFAULT_SIZE, type SeededWorld, saveWorld, seedMsp } from './seed.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 10);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
/**
 * The lists' and drafts' latency is measured at this concurrency (closed loop), not at saturation
 * with 32: a few operators and scripts at once. (autocannon's fixed rates send each second's quota
 * in a burst at the start of the second, which measures the burst, not the service.)
 */
const FEW = Number(process.env.FEW_CONNECTIONS ?? 4);
const log = (msg: string) => process.stderr.write(`[bench:load] ${msg}\n`);
const MB = 2 ** 20;

const idp = await startBenchIdp();
// Versions that are forwarded need an issuer Cognigy accepts (not a loopback address).
const seedIdp = await startBenchIdp('idp.bench.test');
const caFile = join(tmpdir(), `sso-bench-ca-${process.pid}.pem`);
await writeFile(caFile, testCertificates().caPem);

// The seeded world: from an earlier run (SEED_FILE), or seeded now into a fresh database.
let world: SeededWorld;
let dropDatabase = async (): Promise<void> => undefined;
if (process.env.SEED_FILE && existsSync(process.env.SEED_FILE)) {
  world = JSON.parse(await readFile(process.env.SEED_FILE, 'utf8'));
  log(`reusing the world of ${process.env.SEED_FILE} (${world.databaseUrl})`);
} else {
  const db = await benchDatabase('msp');
  dropDatabase = () => db.close();
  const fake = await startFakeCognigy({ https: true });
  const seeding = await startBenchApp('msp', {
    databaseUrl: db.url,
    env: { OUTBOUND_ALLOWLIST: '127.0.0.1', FORWARDING_PER_API_BASE: '64', DB_POOL_MAX: '20' },
    outbound: loopbackOutbound({
      maxConnectionsPerOrigin: 64,
      lookup: async (host) => (host === 'idp.bench.test' ? [{ address: '127.0.0.1', family: 4 }] : []),
    }),
  });
  try {
    world = await seedMsp(seeding, fake, seedIdp.issuer, DEFAULT_SIZE);
  } finally {
    await seeding.close();
    await fake.close();
  }
  if (process.env.SEED_FILE) {
    await saveWorld(world, process.env.SEED_FILE);
    dropDatabase = async () => void log(`kept the database for SEED_FILE=${process.env.SEED_FILE}`);
  }
}

// SERVICE_DIR: another checkout's build (e.g. the commit before this work), for a before/after run.
const service = await spawnService(
  {
    NODE_ENV: 'production',
    DATABASE_URL: world.databaseUrl,
    ENCRYPTION_KEYS: BENCH_ENCRYPTION_KEYS,
    AUDIT_SIGNING_KEY: BENCH_AUDIT_SIGNING_KEY,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    // The default level: one JSON line per request, to /dev/null here, as a production service logs.
    LOG_LEVEL: 'info',
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    NODE_EXTRA_CA_CERTS: caFile,
  },
  (process.env.SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean),
);
const baseline = await spawnBaseline(world.databaseUrl);
log(`service pid ${service.pid} at ${service.url}; baseline pid ${baseline.pid} at ${baseline.url}`);

// Reads go to the first tenant, drafts to the second: the data the reads see stays the same from run to
// run (a before/after comparison on one seeded database), however many drafts were made.
const tenant = world.tenants[0] as SeededWorld['tenants'][number];
const drafting = (world.tenants[1] ?? tenant) as SeededWorld['tenants'][number];
const orgs = tenant.orgs;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

// A deep page of the org list: the cursor after 90% of the tenant's orgs.
async function deepCursor(): Promise<string> {
  let cursor: string | undefined;
  const pages = Math.floor((orgs.length * 0.9) / 200);
  for (let i = 0; i < pages; i += 1) {
    const res = await fetch(`${service.url}/v1/orgs?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
      headers: bearer(tenant.keys.auditor),
    });
    cursor = ((await res.json()) as { nextCursor: string }).nextCursor;
  }
  return cursor as string;
}
const cursor = await deepCursor();

// Drafts name the version they are based on: the head of each org, counted up as drafts are sent.
// Read again after each draft scenario: a request that the round's end cut off (built, maybe still
// being committed) would otherwise leave its org's count wrong (a 409 in the next round).
const heads = new Map<string, number>();
async function readHeads(): Promise<void> {
  const client = new pg.Client({ connectionString: world.databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ org_id: string; head: number }>(
    'SELECT org_id, max(number) AS head FROM sso_versions WHERE tenant_id = $1 GROUP BY org_id',
    [drafting.id],
  );
  for (const r of rows) heads.set(r.org_id, r.head);
  await client.end();
}
await readHeads();

interface Scenario {
  readonly name: string;
  readonly target: 'baseline' | 'service';
  readonly method?: 'GET' | 'POST';
  /** The path of the i-th request. */
  readonly path: (i: number) => string;
  readonly key?: string;
  readonly body?: (i: number) => string;
  readonly overallRate?: number;
  readonly connections?: number;
}

const draftOrg = (i: number) => drafting.orgs[i % drafting.orgs.length] as { id: string; slug: string };
const draftBody = (i: number) => {
  const target = draftOrg(i);
  const baseVersion = heads.get(target.id) ?? 0;
  heads.set(target.id, baseVersion + 1);
  return JSON.stringify({
    kind: 'oidc',
    idpIssuer: idp.issuer,
    idpClientId: `cognigy-load-${i}`,
    idpClientSecret: `load-client-secret-${i}-0123456789`,
    note: 'load',
    baseVersion,
  });
};
const org = (i: number) => orgs[i % orgs.length] as { id: string; slug: string };

const scenarios: Scenario[] = [
  {
    name: 'baseline: bare Fastify + pg, one row by primary key',
    target: 'baseline',
    path: (i) => `/orgs/${org(i).id}`,
  },
  {
    name: 'GET /v1/orgs/{org}/sso',
    target: 'service',
    path: (i) => `/v1/orgs/${org(i).slug}/sso`,
    key: tenant.keys.auditor,
  },
  {
    name: `GET /v1/orgs (first page, 50), ${FEW} connections`,
    connections: FEW,
    target: 'service',
    path: () => '/v1/orgs',
    key: tenant.keys.auditor,
  },
  {
    name: `GET /v1/orgs (deep cursor page, 50), ${FEW} connections`,
    connections: FEW,
    target: 'service',
    path: () => `/v1/orgs?cursor=${cursor}`,
    key: tenant.keys.auditor,
  },
  {
    name: `GET /v1/orgs/{org}/sso/versions, ${FEW} connections`,
    connections: FEW,
    target: 'service',
    path: (i) => `/v1/orgs/${org(i).slug}/sso/versions`,
    key: tenant.keys.auditor,
  },
  {
    name: `POST /v1/orgs/{org}/sso/versions, ${FEW} connections`,
    target: 'service',
    method: 'POST',
    path: (i) => `/v1/orgs/${draftOrg(i).slug}/sso/versions`,
    key: drafting.keys.editor,
    body: draftBody,
    connections: FEW,
  },
  {
    name: `POST /v1/orgs/{org}/sso/versions, ${CONNECTIONS} connections`,
    target: 'service',
    method: 'POST',
    path: (i) => `/v1/orgs/${draftOrg(i).slug}/sso/versions`,
    key: drafting.keys.editor,
    body: draftBody,
  },
];

const only = process.env.ONLY?.split(',').map(Number);
const selected = only ? scenarios.filter((_, i) => i === 0 || only.includes(i)) : scenarios;

interface Round {
  /** CPU milliseconds per request: the server's process, and every PostgreSQL process. */
  cpuServer: number;
  cpuPostgres: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  rssPeak: number;
}

let sequence = 0;
async function runOnce(s: Scenario): Promise<Round> {
  const base = s.target === 'baseline' ? baseline.url : service.url;
  const serverPid = s.target === 'baseline' ? baseline.pid : service.pid;
  const sampler = rssSampler(service.pid);
  const cpu0 = { server: cpuMsOf(serverPid), postgres: postgresCpu() };
  const result = await autocannon({
    url: base,
    connections: s.connections ?? CONNECTIONS,
    duration: DURATION,
    ...(s.overallRate ? { overallRate: s.overallRate } : {}),
    requests: [
      {
        method: s.method ?? 'GET',
        setupRequest: (request: autocannon.Request) => {
          sequence += 1;
          return {
            ...request,
            path: s.path(sequence),
            headers: {
              ...(s.key ? bearer(s.key) : {}),
              ...(s.body ? { 'content-type': 'application/json' } : {}),
            },
            ...(s.body ? { body: s.body(sequence) } : {}),
          };
        },
      },
    ],
  });
  sampler.stop();
  if (result.non2xx > 0) log(`${s.name}: status codes ${JSON.stringify(result.statusCodeStats)}`);
  const requests = Math.max(1, result.requests.total);
  const round: Round = {
    cpuServer: (cpuMsOf(serverPid) - cpu0.server) / requests,
    cpuPostgres: postgresCpuSince(cpu0.postgres) / requests,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    rssPeak: sampler.overall(),
  };
  if (s.body) {
    // After the CPU reading (not part of the scenario), and after the drafts that the round's end cut
    // off on the client side have been committed by the service (p99 is well under a second).
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await readHeads();
  }
  return round;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
};

// Warm-up: JIT, connection pools, the discovery cache (one draft fetches the IdP's document).
for (const s of selected) await runOnce(s).catch(() => undefined);
log('warmed up');

const results = new Map<string, Round[]>();
const rssAfterRound: number[] = [];
const rssPeaks: number[] = [];
try {
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const s of selected) {
      const r = await runOnce(s);
      results.set(s.name, [...(results.get(s.name) ?? []), r]);
      rssPeaks.push(r.rssPeak);
      log(
        `round ${round}, ${s.name}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.non2xx} non-2xx, ${r.errors} errors, CPU/request ${r.cpuServer.toFixed(2)} + ${r.cpuPostgres.toFixed(2)} ms (pg), RSS peak ${(r.rssPeak / MB).toFixed(0)} MB`,
      );
    }
    rssAfterRound.push(rssOf(service.pid));
  }
} finally {
  await service.stop();
  await baseline.stop();
}

const summary = selected.map((s) => {
  const rounds = results.get(s.name) as Round[];
  return {
    s,
    rps: median(rounds.map((r) => r.rps)),
    p50: median(rounds.map((r) => r.p50)),
    p99: median(rounds.map((r) => r.p99)),
    failures: rounds.reduce((n, r) => n + r.errors + r.non2xx, 0),
    cpuServer: median(rounds.map((r) => r.cpuServer)),
    cpuPostgres: median(rounds.map((r) => r.cpuPostgres)),
  };
});
const baselineRps = summary[0]?.rps as number;

// The query plans behind the list endpoints, on the seeded data.
const client = new pg.Client({ connectionString: world.databaseUrl });
await client.connect();
const plan = async (sql: string, params: unknown[]) =>
  (await client.query(`EXPLAIN ${sql}`, params)).rows.map((r) => r['QUERY PLAN'] as string).join('\n');
const firstOrg = org(0);
const plans = {
  orgs: await plan(
    `SELECT * FROM orgs WHERE tenant_id = $1 AND archived_at IS NULL ORDER BY slug, id LIMIT 51`,
    [tenant.id],
  ),
  versions: await plan(`SELECT * FROM sso_versions WHERE org_id = $1 ORDER BY number DESC LIMIT 51`, [
    firstOrg.id,
  ]),
};
const counts = (
  await client.query(
    `SELECT (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM orgs) AS orgs,
            (SELECT count(*) FROM sso_versions) AS versions, (SELECT count(*) FROM audit_events) AS events`,
  )
).rows[0];
await client.end();
await dropDatabase();
await idp.close();
await seedIdp.close();

const row = (x: (typeof summary)[number]) =>
  `| ${x.s.name} | ${x.rps.toFixed(0)} | ${(x.rps / baselineRps).toFixed(2)}× | ${ms(x.p50)} | ${ms(x.p99)} | ${x.cpuServer.toFixed(2)} ms | ${x.cpuPostgres.toFixed(2)} ms | ${x.failures} |`;
const used = (text: string) =>
  [...new Set(text.match(/(Index|Index Only) Scan (Backward )?using \w+/g) ?? [])].join('; ') || 'no index';

if (only) {
  for (const x of summary) log(row(x));
  process.exit(0);
}
await writeSection(
  process.env.SECTION ?? 'msp',
  `## At MSP scale: reads, drafts and memory under load${process.env.SERVICE_DIR ? ` — the service built from ${process.env.SERVICE_LABEL ?? process.env.SERVICE_DIR}` : ''}

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:load\`

Data set (seeded by \`bench/msp/seed.ts\`${world.seconds ? ` in ${world.seconds.toFixed(0)} s` : ''}): ${Number(counts.tenants)} tenants, ${Number(counts.orgs).toLocaleString('en')} orgs,
${Number(counts.versions).toLocaleString('en')} SSO versions, ${Number(counts.events).toLocaleString('en')} audit events; every org's newest version approved and applied.
The service runs as \`npm start\` does (\`node ${startFlags(process.env.SERVICE_DIR ?? '.').join(' ')} dist/src/server.js\`, NODE_ENV=production, LOG_LEVEL=info, pool of 10, forwarding worker on);
the baseline is a bare Fastify 5 route reading one org row by primary key with \`pg\` (pool of 10), in its own process.
Load from a second process (autocannon, keep-alive, loopback), ${ROUNDS} rounds of ${DURATION} s per
scenario, interleaved; each figure is the median of the rounds. Every scenario is closed-loop: each connection sends its
next request when the answer came. The baseline, GET …/sso and the last draft scenario use ${CONNECTIONS} connections (the
throughput at saturation); the lists and the first draft scenario ${FEW} (their latency with a few callers at once). Requests rotate over the ${orgs.length.toLocaleString('en')} orgs of one tenant,
authenticated with that tenant's auditor key (reads); drafts go to a second tenant's orgs with its editor key (drafts: OIDC, new client secret, issuer validated
against a loopback IdP with a warm discovery cache; every draft is its own transaction with its audit event).

| scenario | req/s | of baseline | p50 | p99 | server CPU / request | PostgreSQL CPU / request | failed requests |
| --- | --- | --- | --- | --- | --- | --- | --- |
${summary.map(row).join('\n')}

- CPU per request is measured from /proc over each round (the server's process — the service, or the baseline's —
  and every PostgreSQL process); autocannon's own CPU is not in it. Two cores are shared by the three.
- Query plans: the org list uses ${used(plans.orgs)}; the version list uses ${used(plans.versions)}.
- Service RSS: peak ${(Math.max(...rssPeaks) / MB).toFixed(0)} MB over the whole run; after each round ${rssAfterRound.map((r) => `${(r / MB).toFixed(0)} MB`).join(', ')}.
- Service start to \`/readyz\` 200 on the seeded database: ${(service.readyMs / 1000).toFixed(1)} s.
`,
);
log('wrote BENCHMARKS.md');
