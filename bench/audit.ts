/**
 * The audit trail at a million events (issue 3; targets of issue 7 §4): first-page latency of the
 * list with each filter through the real app, against the bare SQL of the same page as baseline;
 * the query plans; verify of the whole chain; export throughput and the process's RSS growth.
 *
 *   npm run bench:audit            (EVENTS=1000000 by default; BENCH_DATABASE_URL to use a server)
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { appendManyEvents } from '../test/support/audit.js';
import { PLATFORM_KEY, startBenchApp } from './support/app.js';
import { latency, machine, ms } from './support/environment.js';
import { writeSection } from './support/report.js';

const EVENTS = Number(process.env.EVENTS ?? 1_000_000);
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
  await database.prisma.org.createMany({
    data: orgIds.map((id, i) => ({ id, tenantId, slug: `org-${i}`, name: `Org ${i}` })),
  });
  const actorIds = Array.from({ length: 20 }, () => randomUUID());
  const actions = [
    'org.created',
    'org.updated',
    'cognigy_target.updated',
    'api_key.created',
    'org.archived',
    'tenant.updated',
  ];
  let started = performance.now();
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
  const cases: Array<{ name: string; query: string; sql: string; params: unknown[] }> = [
    { name: 'no filter', query: '', sql: 'chain = $1', params: [tenantId] },
    {
      name: 'org',
      query: `org=${org}`,
      sql: 'chain = $1 AND tenant_id = $1::uuid AND org_id = $2',
      params: [tenantId, org],
    },
    {
      name: 'actor',
      query: `actor=${actor}`,
      sql: 'chain = $1 AND tenant_id = $1::uuid AND actor_id = $2',
      params: [tenantId, actor],
    },
    {
      name: 'action (exact)',
      query: 'action=cognigy_target.updated',
      sql: 'chain = $1 AND tenant_id = $1::uuid AND action = $2',
      params: [tenantId, 'cognigy_target.updated'],
    },
    {
      name: 'action (prefix)',
      query: 'action=org.',
      sql: "chain = $1 AND tenant_id = $1::uuid AND action LIKE 'org.%'",
      params: [tenantId],
    },
    {
      name: 'time range (last minute)',
      query: `from=${lastHour}`,
      sql: 'chain = $1 AND tenant_id = $1::uuid AND occurred_at >= $2',
      params: [tenantId, lastHour],
    },
    {
      name: 'org + action',
      query: `org=${org}&action=org.updated`,
      sql: 'chain = $1 AND tenant_id = $1::uuid AND org_id = $2 AND action = $3',
      params: [tenantId, org, 'org.updated'],
    },
  ];

  const raw = new pg.Pool({ connectionString: db.url, max: 2 });
  raw.on('error', () => undefined);
  const rows: string[] = [];
  for (const c of cases) {
    const sql = `SELECT * FROM audit_events WHERE ${c.sql} ORDER BY seq DESC LIMIT 51`;
    const base = await latency(() => raw.query(sql, c.params), 100, 10);
    const api = await latency(
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
    );
    const plan = (await raw.query(`EXPLAIN ${sql}`, c.params)).rows.map((r) => r['QUERY PLAN'] as string);
    const indexes = [...new Set(plan.join('\n').match(/using \w+/gi) ?? [])]
      .map((u) => u.replace(/^using /i, ''))
      .join(', ');
    rows.push(
      `| ${c.name} | ${ms(api.p50)} | ${ms(api.p99)} | ${ms(base.p50)} | ${(api.p50 / base.p50).toFixed(1)}× | ${indexes || 'seq scan'} |`,
    );
    log(`first page, ${c.name}: p50 ${ms(api.p50)}, p99 ${ms(api.p99)} (SQL ${ms(base.p50)}) via ${indexes}`);
  }

  started = performance.now();
  const verified = await container.audit.verify(tenantId);
  const verifySeconds = (performance.now() - started) / 1000;
  log(`verify: ${verified.checked} events in ${verifySeconds.toFixed(1)} s, ok=${verified.ok}`);

  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  }, 20);
  started = performance.now();
  const res = await fetch(`${address}/v1/audit-events/export?format=ndjson`, { headers: auth(auditorKey) });
  let lines = 0;
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength;
    for (const b of chunk) if (b === 10) lines += 1;
  }
  clearInterval(sampler);
  const exportSeconds = (performance.now() - started) / 1000;
  log(`export: ${lines} events, ${(bytes / 2 ** 20).toFixed(0)} MB in ${exportSeconds.toFixed(1)} s`);
  await raw.end();

  await writeSection(
    'audit',
    `## Audit trail at ${EVENTS.toLocaleString('en')} events

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:audit\`

One tenant, ${EVENTS.toLocaleString('en')} events over 1,000 orgs, 20 actors and 6 actions (seeded in ${seedSeconds.toFixed(0)} s).
First page (50 events, newest first) of \`GET /v1/audit-events\` through the app (authentication, validation,
serialisation; \`app.inject\`, 100 runs after 10 warm-up), against the bare SQL of the same page with \`pg\`
(baseline, same run):

| filter | API p50 | API p99 | SQL p50 (baseline) | API / SQL | index used (EXPLAIN) |
| --- | --- | --- | --- | --- | --- |
${rows.join('\n')}

- \`GET /v1/audit-events/verify\` over the whole chain: ${verified.checked.toLocaleString('en')} events in ${verifySeconds.toFixed(1)} s (${Math.round(verified.checked / verifySeconds).toLocaleString('en')} events/s), ok=${verified.ok}.
- Export (NDJSON over loopback HTTP): ${lines.toLocaleString('en')} events, ${(bytes / 2 ** 20).toFixed(0)} MB in ${exportSeconds.toFixed(1)} s (${Math.round(lines / exportSeconds).toLocaleString('en')} events/s); the process's RSS grew by ${((rssPeak - rssBefore) / 2 ** 20).toFixed(0)} MB at its peak.
`,
  );
  log('wrote BENCHMARKS.md');
} finally {
  await bench.close();
}
