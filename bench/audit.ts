/**
 * The audit trail at a million events (issue 3; targets of issue 7 §4): first-page latency of the
 * list with each filter through the real app, against the bare SQL of the same page (the very
 * statement the app sends) as baseline, and its query plan; export throughput and the process's RSS
 * growth, against a bare `pg` cursor read of the same rows; verify of the whole chain, against a
 * bare `pg` read of the same batches without hashing. Every figure is the median of ROUNDS runs.
 * The export is downloaded by a second process (`curl | wc`), so the RSS is the service's alone.
 *
 *   npm run bench:audit            (EVENTS=1000000 by default; BENCH_DATABASE_URL to use a server)
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { Compilable } from 'kysely';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import {
  type AuditFilter,
  type AuditRow,
  batchQuery,
  exportLinesQuery,
  pageQuery,
} from '../src/modules/audit/audit.repository.js';
import { appendManyEvents } from '../test/support/audit.js';
import { PLATFORM_KEY, startBenchApp } from './support/app.js';
import { latency, machine, ms } from './support/environment.js';
import { writeSection } from './support/report.js';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const rounds = async <T>(fn: () => Promise<T>): Promise<T[]> => {
  const out: T[] = [];
  for (let i = 0; i < ROUNDS; i += 1) out.push(await fn());
  return out;
};
const thousands = (n: number) => Math.round(n).toLocaleString('en');
/** A query of the app's, compiled by Kysely, as a `pg` statement. */
const statement = (query: Compilable) => {
  const { sql, parameters } = query.compile();
  return { text: sql, values: [...parameters] };
};

/** The figures of this section at commit f3d5886 (one round, export read in-process), kept as "before". */
const BEFORE: Record<string, { p50: number; p99: number }> = {
  'no filter': { p50: 6.03, p99: 11.4 },
  org: { p50: 7.5, p99: 21.67 },
  actor: { p50: 5.65, p99: 15.38 },
  'action (exact)': { p50: 4.56, p99: 11.02 },
  'action (prefix)': { p50: 4.96, p99: 17.55 },
  'time range (last minute)': { p50: 3.29, p99: 12.98 },
  'org + action': { p50: 7.94, p99: 20.87 },
};
/**
 * The code before this work (fa9a12a: Prisma reads, per-row records) measured by this very bench on
 * the machine of the "after" figures (2 × Intel Xeon, PostgreSQL 15 server, 2026-11-27, medians of 3).
 */
const BEFORE_HERE = {
  list: {
    'no filter': { p50: 2.78, p99: 14.85 },
    org: { p50: 4.04, p99: 12.89 },
    actor: { p50: 2.45, p99: 9.88 },
    'action (exact)': { p50: 2.54, p99: 8.65 },
    'action (prefix)': { p50: 2.35, p99: 7.54 },
    'time range (last minute)': { p50: 1.62, p99: 6.34 },
    'org + action': { p50: 3.35, p99: 8.94 },
  } as Record<string, { p50: number; p99: number }>,
  exportRate: '75,614 events/s (0.64× its baseline)',
  exportRss: '142 MB',
  verify: '22.8 s (43,861 events/s; 2.82× its baseline)',
};
const log = (msg: string) => process.stderr.write(`[bench:audit] ${msg}\n`);

const bench = await startBenchApp('audit');
const { app, container, db } = bench;
const { database } = container;
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

try {
  const created = await app.inject({
    method: 'POST',
    url: '/v1/tenants',
    headers: auth(PLATFORM_KEY),
    payload: { slug: 'bench', name: 'Bench' },
  });
  const tenantId: string = created.json().tenant.id;
  const adminKey: string = created.json().adminKey.token;
  const auditorKey: string = (
    await app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: auth(adminKey),
      payload: { name: 'auditor', roles: ['auditor'] },
    })
  ).json().token;

  const orgIds = Array.from({ length: 1000 }, () => randomUUID());
  await database.db
    .insertInto('orgs')
    .values(orgIds.map((id, i) => ({ id, tenant_id: tenantId, slug: `org-${i}`, name: `Org ${i}` })))
    .execute();
  const actorIds = Array.from({ length: 20 }, () => randomUUID());
  const actions = [
    'org.created',
    'org.updated',
    'cognigy_target.updated',
    'api_key.created',
    'org.archived',
    'tenant.updated',
  ];
  const started = performance.now();
  await appendManyEvents(database.pool, tenantId, EVENTS, {
    orgIds,
    actorIds,
    actions,
    onProgress: (done) => {
      if (done % 100_000 === 0 || done === EVENTS) log(`seeded ${done}/${EVENTS} events`);
    },
  });
  await database.pool.query('ANALYZE audit_events');
  const seedSeconds = (performance.now() - started) / 1000;

  const org = orgIds[17] as string;
  const actor = actorIds[3] as string;
  const lastHour = new Date(Date.now() - 60_000).toISOString();
  const base: AuditFilter = { chain: tenantId, orgScope: null };
  const cases: Array<{ name: string; query: string; filter: AuditFilter }> = [
    { name: 'no filter', query: '', filter: base },
    { name: 'org', query: `org=${org}`, filter: { ...base, orgId: org } },
    { name: 'actor', query: `actor=${actor}`, filter: { ...base, actorId: actor } },
    {
      name: 'action (exact)',
      query: 'action=cognigy_target.updated',
      filter: { ...base, actionPrefix: 'cognigy_target.updated' },
    },
    { name: 'action (prefix)', query: 'action=org.', filter: { ...base, actionPrefix: 'org.' } },
    {
      name: 'time range (last minute)',
      query: `from=${lastHour}`,
      filter: { ...base, from: new Date(lastHour) },
    },
    {
      name: 'org + action',
      query: `org=${org}&action=org.updated`,
      filter: { ...base, orgId: org, actionPrefix: 'org.updated' },
    },
  ];

  const raw = new pg.Pool({ connectionString: db.url, max: 2 });
  raw.on('error', () => undefined);
  const rows: string[] = [];
  let worstP99 = 0;
  for (const c of cases) {
    // The statement the app sends for this page (50 events and one more to know there is a next page).
    const sql = statement(pageQuery(container.database.db, c.filter, 51));
    const sqlRounds = await rounds(() => latency(() => raw.query(sql), 100, 10));
    const apiRounds = await rounds(() =>
      latency(
        async () => {
          const res = await app.inject({
            method: 'GET',
            url: `/v1/audit-events?${c.query}`,
            headers: auth(auditorKey),
          });
          if (res.statusCode !== 200) throw new Error(`${c.name}: ${res.statusCode} ${res.body}`);
        },
        100,
        10,
      ),
    );
    const api = { p50: median(apiRounds.map((r) => r.p50)), p99: median(apiRounds.map((r) => r.p99)) };
    const bare = { p50: median(sqlRounds.map((r) => r.p50)), p99: median(sqlRounds.map((r) => r.p99)) };
    worstP99 = Math.max(worstP99, api.p99);
    const plan = (await raw.query({ text: `EXPLAIN ${sql.text}`, values: sql.values })).rows.map(
      (r) => r['QUERY PLAN'] as string,
    );
    const indexes = [...new Set(plan.join('\n').match(/using \w+/gi) ?? [])]
      .map((u) => u.replace(/^using /i, ''))
      .join(', ');
    const pair = (b?: { p50: number; p99: number }) => (b ? `${ms(b.p50)} / ${ms(b.p99)}` : '–');
    rows.push(
      `| ${c.name} | ${ms(api.p50)} | ${ms(api.p99)} | ${ms(bare.p50)} | ${ms(bare.p99)} | ${(api.p50 / bare.p50).toFixed(1)}× | ${pair(BEFORE_HERE.list[c.name])} | ${pair(BEFORE[c.name])} | ${indexes || 'seq scan'} |`,
    );
    log(`first page, ${c.name}: p50 ${ms(api.p50)}, p99 ${ms(api.p99)} (SQL ${ms(bare.p50)}) via ${indexes}`);
  }

  // Export, downloaded by a second process; the RSS is sampled here, from before the first run.
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const download = () =>
    new Promise<{ lines: number; bytes: number }>((resolve, reject) => {
      const child = spawn('sh', ['-c', 'curl -sS --fail -H "authorization: Bearer $KEY" "$URL" | wc -lc'], {
        env: { ...process.env, KEY: auditorKey, URL: `${address}/v1/audit-events/export?format=ndjson` },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('error', reject);
      child.on('close', () => {
        const [lines, bytes] = out.trim().split(/\s+/).map(Number);
        if (!lines || !bytes) reject(new Error(`export download failed: ${out}`));
        else resolve({ lines, bytes });
      });
    });
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 20);
  const exports = await rounds(async () => {
    const started = performance.now();
    const got = await download();
    const seconds = (performance.now() - started) / 1000;
    log(`export: ${got.lines} events, ${(got.bytes / 2 ** 20).toFixed(0)} MB in ${seconds.toFixed(1)} s`);
    return { ...got, seconds, rate: got.lines / seconds, rssGrowth: rssPeak - rssBefore };
  });
  clearInterval(sampler);
  const exported =
    exports.find((e) => e.rate === median(exports.map((x) => x.rate))) ??
    (exports[0] as (typeof exports)[number]);
  const exportRate = median(exports.map((e) => e.rate));
  // Baseline: the app's own export statement through a bare pg cursor (same batch size), rows discarded.
  const exportBaseline = await rounds(async () => {
    const client = await raw.connect();
    try {
      const q = statement(exportLinesQuery(container.database.db, base));
      const stream = client.query(new QueryStream(q.text, q.values, { batchSize: 500 }));
      const started = performance.now();
      let n = 0;
      for await (const _row of stream as AsyncIterable<AuditRow>) n += 1;
      return n / ((performance.now() - started) / 1000);
    } finally {
      client.release();
    }
  });
  const exportBaseRate = median(exportBaseline);
  log(`export baseline (bare cursor read): ${thousands(exportBaseRate)} rows/s`);

  const verifies = await rounds(async () => {
    const started = performance.now();
    const result = await container.audit.verify(tenantId);
    const seconds = (performance.now() - started) / 1000;
    log(`verify: ${result.checked} events in ${seconds.toFixed(1)} s, ok=${result.ok}`);
    return { result, seconds };
  });
  const verifySeconds = median(verifies.map((v) => v.seconds));
  const verified = (verifies[0] as (typeof verifies)[number]).result;
  // Baseline: the same 10,000-row batches read with pg, nothing hashed.
  const verifyBaseline = await rounds(async () => {
    const started = performance.now();
    let from = 1;
    for (;;) {
      const batch = (
        await raw.query<AuditRow>(
          statement(batchQuery(container.database.db, tenantId, from, undefined, 10_000)),
        )
      ).rows;
      const last = batch.at(-1);
      if (!last || batch.length < 10_000) break;
      from = last.seq + 1;
    }
    return (performance.now() - started) / 1000;
  });
  const verifyBaseSeconds = median(verifyBaseline);
  log(`verify baseline (bare batched read): ${verifyBaseSeconds.toFixed(1)} s`);
  await raw.end();

  await writeSection(
    'audit',
    `## Audit trail at ${EVENTS.toLocaleString('en')} events

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:audit\`

One tenant, ${EVENTS.toLocaleString('en')} events over 1,000 orgs, 20 actors and 6 actions (seeded in ${seedSeconds.toFixed(0)} s).
Every figure is the median of ${ROUNDS} rounds. First page (50 events, newest first) of \`GET /v1/audit-events\`
through the app (authentication, validation, serialisation; \`app.inject\`, 100 runs after 10 warm-up per round),
against the bare SQL of the same page with \`pg\` — the very statement the app sends (baseline, same run); the
index is that statement's plan (EXPLAIN). Before, fa9a12a: the code at fa9a12a (Prisma reads) measured by this bench
on 2026-11-27 on a 2 × Intel Xeon machine (compare it with this run's figures only when the machine line above says the same).
Before, f3d5886: this section as it was (another machine, one round, export read in-process).
Between fa9a12a and the after commit, work outside the audit module also landed that every request gains from
(verified API keys cached, e1e54b7; one log line per request, 0268b21): the list's gain is not the audit module's
alone. The export and verify figures depend on the audit module only.

| filter | API p50 | API p99 | SQL p50 (baseline) | SQL p99 | API / SQL (p50) | before, fa9a12a: p50 / p99 | before, f3d5886: p50 / p99 | index used (EXPLAIN) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

Worst first-page p99: ${ms(worstP99)} (target ≤ 20 ms; before, fa9a12a: 14.85 ms; before, f3d5886: 21.67 ms).

| | after (median of ${ROUNDS}) | baseline, same run | ratio to baseline | before, fa9a12a | before, f3d5886 |
| --- | --- | --- | --- | --- | --- |
| export, NDJSON over loopback HTTP, read by \`curl\` in a second process | ${thousands(exportRate)} events/s (${thousands(exported.lines)} events, ${(exported.bytes / 2 ** 20).toFixed(0)} MB in ${exported.seconds.toFixed(1)} s) | ${thousands(exportBaseRate)} rows/s (bare \`pg\` cursor read of the same statement, rows discarded) | ${(exportRate / exportBaseRate).toFixed(2)}× | ${BEFORE_HERE.exportRate} | 49,665 events/s (read in-process) |
| export, the process's RSS growth at its peak over all ${ROUNDS} runs | ${(Math.max(...exports.map((e) => e.rssGrowth)) / 2 ** 20).toFixed(0)} MB (peak after run 1…${ROUNDS}: ${exports.map((e) => `${(e.rssGrowth / 2 ** 20).toFixed(0)}`).join(', ')} MB) | – | – | ${BEFORE_HERE.exportRss} | 68 MB |
| \`GET /v1/audit-events/verify\` (the service's verify) over the whole chain | ${verifySeconds.toFixed(1)} s (${thousands(verified.checked / verifySeconds)} events/s, ${thousands(verified.checked)} events, ok=${verified.ok}) | ${verifyBaseSeconds.toFixed(1)} s (the same 10,000-row batches read with \`pg\`, not hashed) | ${(verifySeconds / verifyBaseSeconds).toFixed(2)}× the time | ${BEFORE_HERE.verify} | 38.2 s (26,163 events/s) |
`,
  );
  log('wrote BENCHMARKS.md');
} finally {
  await bench.close();
}
