/**
 * Webhook deliveries (issue 18): EVENTS (10,000) events to 3 endpoints on loopback — receivers in a
 * process of their own, answering 204 at once and verifying every 25th request with the
 * `standardwebhooks` package — delivered by one process's worker at the default concurrency:
 * deliveries per second, against a baseline measured in the same run: the same number of bare POSTs
 * of the same bodies to the same receivers at the same concurrency (no database, no signing).
 *
 * And the time enqueueing adds to a change's transaction: the outbox statement of one event (one
 * event, 3 deliveries, 3 jobs) in a transaction, against the same transaction without it, and the
 * statement when the tenant has no endpoint; cross-checked by drafts through the API, alternating
 * between a tenant with 3 endpoints and one with none.
 *
 *   npm run bench:webhooks        (EVENTS=10000 SAMPLES=1000 DRAFTS=500; BENCH_DATABASE_URL to use a server)
 */
import { fork } from 'node:child_process';
import { sql } from 'kysely';
import { Agent, request } from 'undici';
import { v7 as uuidv7 } from 'uuid';
import type { Tx } from '../src/db/client.js';
import { inTransaction } from '../src/db/transaction.js';
import type { AuditRecord } from '../src/modules/audit/audit-event.js';
import { eventOf } from '../src/modules/webhooks/webhook-events.js';
import { dataOf, outboxEventOf } from '../src/modules/webhooks/webhook-outbox.js';
import { webhooksRepository } from '../src/modules/webhooks/webhooks.repository.js';
import { PLATFORM_KEY, startBenchApp } from './support/app.js';
import { type CpuSplit, cpuMeter } from './support/cpu.js';
import { machine, percentile } from './support/environment.js';
import { writeSection } from './support/report.js';

const EVENTS = Number(process.env.EVENTS ?? 10_000);
const SAMPLES = Number(process.env.SAMPLES ?? 1_000);
const DRAFTS = Number(process.env.DRAFTS ?? 500);
const ENDPOINTS = 3;
const log = (msg: string) => process.stderr.write(`[bench:webhooks] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// The receivers, in a child process.
const child = fork(
  new URL('./support/webhook-receiver-child.ts', import.meta.url).pathname,
  [String(ENDPOINTS)],
  {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  },
);
type Stats = Array<{ requests: number; distinct: number; verified: number; failed: number }>;
const pending = new Map<number, (m: { stats?: Stats }) => void>();
let nextId = 1;
const ports = await new Promise<number[]>((resolve, reject) => {
  child.once('exit', (code) => reject(new Error(`receivers exited with ${code}`)));
  child.on('message', (m: { type?: string; ports?: number[]; id?: number; stats?: Stats }) => {
    if (m.type === 'ready') resolve(m.ports as number[]);
    else pending.get(m.id as number)?.(m);
  });
});
const ask = (type: string, extra: Record<string, unknown> = {}) =>
  new Promise<{ stats?: Stats }>((resolve) => {
    const id = nextId++;
    pending.set(id, (m) => {
      pending.delete(id);
      resolve(m);
    });
    child.send({ type, id, ...extra });
  });
const urls = ports.map((p) => `http://127.0.0.1:${p}/hooks`);

const bench = await startBenchApp('webhooks', {
  env: {
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    OUTBOUND_ALLOW_HTTP: 'true',
    DB_POOL_MAX: '20',
    JOBS_POLL_MS: '100',
    ...(process.env.WEBHOOK_CONCURRENCY ? { WEBHOOK_CONCURRENCY: process.env.WEBHOOK_CONCURRENCY } : {}),
  },
});
const { container, call } = bench;
const { database, config } = container;
const db = database.db;
const median = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
const p95 = (xs: number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    95,
  );

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

try {
  // Two tenants: one with 3 endpoints wanting every event, one with none.
  const hooked = await call('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'hooked', name: 'Hooked' });
  const plain = await call('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'plain', name: 'Plain' });
  const secrets: string[] = [];
  for (const url of urls)
    secrets.push((await call('POST', '/v1/webhooks', hooked.adminKey.token, { url })).secret);
  await ask('secrets', { secrets });
  const editorOf = async (t: { adminKey: { token: string } }) =>
    (await call('POST', '/v1/api-keys', t.adminKey.token, { name: 'e', roles: ['editor'] })).token as string;
  const editors = { hooked: await editorOf(hooked), plain: await editorOf(plain) };
  const orgs = {
    hooked: (await call('POST', '/v1/orgs', hooked.adminKey.token, { slug: 'org', name: 'Org' }))
      .id as string,
    plain: (await call('POST', '/v1/orgs', plain.adminKey.token, { slug: 'org', name: 'Org' })).id as string,
  };

  // -------------------------------------------------------------------------------------------
  // 1. What enqueueing adds to a transaction: the outbox statement of one draft's event.
  const record = (tenantId: string, orgId: string): AuditRecord =>
    ({
      tenantId,
      orgId,
      action: 'sso_version.created',
      target: { type: 'sso_version', id: uuidv7() },
      actor: { type: 'api_key', id: null, name: 'bench editor' },
      diff: { after: { number: 1, kind: 'disabled', validationStatus: 'pass' } },
    }) as unknown as AuditRecord;
  const outboxEvent = (r: AuditRecord) => {
    const e = eventOf(r);
    if (!e) throw new Error('not an event');
    return outboxEventOf(e);
  };
  // Every shape writes a row (as a change does), so that each pays the commit's WAL flush.
  const write = (t: Tx, tenantId: string) =>
    t.updateTable('tenants').set({ updated_at: sql`updated_at` }).where('id', '=', tenantId).execute();
  const shapes = {
    bare: () => inTransaction(db, async (t) => void (await write(t, plain.tenant.id))),
    none: () =>
      inTransaction(db, async (t) => {
        await write(t, plain.tenant.id);
        await webhooksRepository.enqueue(t, [outboxEvent(record(plain.tenant.id, orgs.plain))]);
      }),
    three: () =>
      inTransaction(db, async (t) => {
        await write(t, hooked.tenant.id);
        await webhooksRepository.enqueue(t, [outboxEvent(record(hooked.tenant.id, orgs.hooked))]);
      }),
  };
  const samples: Record<keyof typeof shapes, number[]> = { bare: [], none: [], three: [] };
  for (let i = 0; i < 100; i += 1) for (const fn of Object.values(shapes)) await fn();
  for (let i = 0; i < SAMPLES; i += 1) {
    const order = (
      i % 3 === 0
        ? ['bare', 'none', 'three']
        : i % 3 === 1
          ? ['three', 'bare', 'none']
          : ['none', 'three', 'bare']
    ) as Array<keyof typeof shapes>;
    for (const k of order) samples[k].push(await timed(shapes[k]));
  }
  const tx = {
    bare: median(samples.bare),
    none: median(samples.none),
    three: median(samples.three),
    bareP95: p95(samples.bare),
    threeP95: p95(samples.three),
  };
  log(
    `transaction medians: bare ${tx.bare.toFixed(3)} ms, + outbox (no endpoint) ${tx.none.toFixed(3)} ms, + outbox (3 endpoints) ${tx.three.toFixed(3)} ms`,
  );

  // Cross-check through the API: drafts alternating between the two tenants.
  const drafts = { hooked: [] as number[], plain: [] as number[] };
  const draft = (which: 'hooked' | 'plain', n: number) =>
    timed(() =>
      call('POST', `/v1/orgs/${orgs[which]}/sso/versions`, editors[which], {
        kind: 'disabled',
        baseVersion: n - 1,
      }),
    );
  for (let n = 1; n <= DRAFTS; n += 1) {
    if (n % 2 === 0) {
      drafts.hooked.push(await draft('hooked', n));
      drafts.plain.push(await draft('plain', n));
    } else {
      drafts.plain.push(await draft('plain', n));
      drafts.hooked.push(await draft('hooked', n));
    }
  }
  const warm = (xs: number[]) => xs.slice(Math.min(50, Math.floor(xs.length / 5)));
  const api = { hooked: median(warm(drafts.hooked)), plain: median(warm(drafts.plain)) };
  log(`draft POST medians: 3 endpoints ${api.hooked.toFixed(3)} ms, none ${api.plain.toFixed(3)} ms`);

  // Start the deliveries from a clean queue.
  await db.deleteFrom('jobs').where('queue', '=', 'webhook.delivery').execute();
  await db.deleteFrom('webhook_deliveries').execute();

  // -------------------------------------------------------------------------------------------
  // 2. Baseline: bare POSTs of the same bodies to the same receivers, same concurrency.
  const concurrency = config.webhooks.concurrency;
  const body = JSON.stringify({
    id: uuidv7(),
    type: 'sso.version.drafted',
    timestamp: new Date().toISOString(),
    data: { ...dataOf(eventOf(record(hooked.tenant.id, orgs.hooked)) as never), summary: 'x'.repeat(60) },
  });
  const agent = new Agent({ connections: concurrency });
  const total = EVENTS * ENDPOINTS;
  let next = 0;
  await ask('reset');
  const bareMeter = cpuMeter(child.pid);
  const bareStarted = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (;;) {
        const i = next++;
        if (i >= total) return;
        const res = await request(urls[i % ENDPOINTS] as string, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/json', 'webhook-id': String(i) },
          body,
        });
        await res.body.dump();
      }
    }),
  );
  const bareSeconds = (performance.now() - bareStarted) / 1000;
  const bareCpu = bareMeter.stop();
  await agent.close();
  const bareRate = total / bareSeconds;
  log(`baseline: ${total} bare POSTs in ${bareSeconds.toFixed(1)} s = ${bareRate.toFixed(0)}/s`);

  // -------------------------------------------------------------------------------------------
  // 3. The worker delivers EVENTS events to the 3 endpoints.
  const enqueueStarted = performance.now();
  for (let i = 0; i < EVENTS; i += 500) {
    const batch = Array.from({ length: Math.min(500, EVENTS - i) }, () =>
      outboxEvent(record(hooked.tenant.id, orgs.hooked)),
    );
    await inTransaction(db, (t) => webhooksRepository.enqueue(t, batch));
  }
  log(
    `enqueued ${EVENTS} events (${total} deliveries) in ${((performance.now() - enqueueStarted) / 1000).toFixed(1)} s`,
  );
  await ask('reset');
  const meter = cpuMeter(child.pid);
  const started = performance.now();
  container.webhookJobs.start();
  let lastLog = started;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { pending: left } = await webhooksRepository.backlog(db);
    if (left === 0) break;
    if (performance.now() - lastLog > 5_000) {
      lastLog = performance.now();
      log(`${left} deliveries left`);
    }
    if ((performance.now() - started) / 1000 > 900) throw new Error(`${left} left after 900 s`);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu: CpuSplit = meter.stop();
  await container.webhookJobs.stop(5_000);
  const rate = total / seconds;
  const stats = (await ask('stats')).stats as Stats;
  const failed = await db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('state', '<>', 'delivered')
    .execute();
  if (failed.length > 0) throw new Error(`${failed.length} deliveries not delivered`);
  log(
    `delivered ${total} in ${seconds.toFixed(1)} s = ${rate.toFixed(0)}/s; receivers: ${JSON.stringify(stats)}`,
  );
  const perDelivery = (c: CpuSplit, n: number) => ({
    worker: c.self / n,
    postgres: c.postgres / n,
    receiver: c.helper / n,
  });
  const cpuEach = perDelivery(cpu, total);
  const bareEach = perDelivery(bareCpu, total);

  const fmt = (n: number, d = 2) => n.toFixed(d);
  await writeSection(
    'webhooks',
    `## Webhook deliveries (issue 18)

${new Date().toISOString().slice(0, 10)}, ${machine()}. \`npm run bench:webhooks\`: the service in-process on
${process.env.BENCH_DATABASE_URL ? 'a PostgreSQL server' : 'an embedded PostgreSQL'}, ${ENDPOINTS} endpoints on loopback (plain http, \`OUTBOUND_ALLOW_HTTP\`) served by a
receiver process of their own that answers 204 at once and verifies every 25th request with the
\`standardwebhooks\` package. Worker concurrency \`WEBHOOK_CONCURRENCY\` = ${concurrency} (the default).

**Deliveries per second** (target ≥ 500): ${EVENTS.toLocaleString('en')} events × ${ENDPOINTS} endpoints = ${total.toLocaleString('en')} deliveries.

| | seconds | per second | ratio to baseline | CPU ms per request: this process / PostgreSQL / receivers |
| --- | ---: | ---: | ---: | ---: |
| baseline: bare POSTs (undici, same bodies, same concurrency, no database, no signature) | ${fmt(bareSeconds, 1)} | ${fmt(bareRate, 0)} | 1.00 | ${fmt(bareEach.worker, 3)} / ${fmt(bareEach.postgres, 3)} / ${fmt(bareEach.receiver, 3)} |
| webhook deliveries (claim, load, sign, POST through the network policy, record) | ${fmt(seconds, 1)} | **${fmt(rate, 0)}** | ${fmt(rate / bareRate)} | ${fmt(cpuEach.worker, 3)} / ${fmt(cpuEach.postgres, 3)} / ${fmt(cpuEach.receiver, 3)} |

Every event reached every endpoint: distinct webhook-ids per receiver ${stats.map((s) => s.distinct).join(', ')} (requests
${stats.map((s) => s.requests).join(', ')}); signatures verified ${stats.reduce((a, s) => a + s.verified, 0)}, failed ${stats.reduce((a, s) => a + s.failed, 0)}.

**Time enqueueing adds to a change's transaction** (target ≤ 1 ms): medians of ${SAMPLES} transactions of each
shape, interleaved (BEGIN; an UPDATE, as every change writes; [the outbox statement]; COMMIT).

| transaction | median | p95 | added to the bare transaction |
| --- | ---: | ---: | ---: |
| bare | ${fmt(tx.bare, 3)} ms | ${fmt(tx.bareP95, 3)} ms | — |
| + outbox statement, tenant without endpoints (no row written) | ${fmt(tx.none, 3)} ms | | ${fmt(tx.none - tx.bare, 3)} ms (${fmt(tx.none / tx.bare)}×) |
| + outbox statement, 1 event to 3 endpoints (1 event, 3 deliveries, 3 jobs) | ${fmt(tx.three, 3)} ms | ${fmt(tx.threeP95, 3)} ms | **${fmt(tx.three - tx.bare, 3)} ms** (${fmt(tx.three / tx.bare)}×) |

Cross-check through the API, ${DRAFTS} drafts alternating between a tenant with 3 endpoints and one with none
(first ${Math.min(50, Math.floor(DRAFTS / 5))} of each left out as warm-up): median \`POST …/sso/versions\` ${fmt(api.hooked, 3)} ms with 3 endpoints,
${fmt(api.plain, 3)} ms without (${fmt(api.hooked - api.plain, 3)} ms, ${fmt(api.hooked / api.plain)}×).
`,
  );
} finally {
  await ask('close').catch(() => undefined);
  await bench.close();
}
