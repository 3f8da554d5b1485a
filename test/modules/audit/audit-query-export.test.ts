/**
 * Reading the trail: filters and pagination, who may read what, NDJSON/CSV export streamed in
 * constant memory, and offline verification of an export with scripts/verify-audit-export.mjs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportQuery, recordOf } from '../../../src/modules/audit/audit.repository.js';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  expectProblem,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { appendManyEvents } from '../../support/audit.js';

let t: TestApp;
let tenant: TenantFixture;
let other: TenantFixture;
let auditor: { id: string; token: string };
let acme: { id: string; slug: string };
let globex: { id: string; slug: string };
let dir: string;

const get = (url: string, key: string) => t.app.inject({ method: 'GET', url, headers: bearer(key) });
const verifyScript = (file: string, ...flags: string[]) =>
  spawnSync(process.execPath, ['scripts/verify-audit-export.mjs', ...flags, file], { encoding: 'utf8' });

beforeAll(async () => {
  t = await createTestApp({}, 'auditquery');
  dir = await mkdtemp(join(tmpdir(), 'audit-export-'));
  tenant = await createTenant(t.app);
  other = await createTenant(t.app);
  auditor = await createKey(t.app, tenant.adminKey, ['auditor']);
  acme = await createOrg(t.app, tenant.adminKey, 'acme', { env: 'prod' });
  globex = await createOrg(t.app, tenant.adminKey, 'globex');
  await t.app.inject({
    method: 'PATCH',
    url: '/v1/orgs/acme',
    headers: bearer(tenant.adminKey),
    payload: { name: 'Acme Corp' },
  });
  await t.app.inject({
    method: 'PUT',
    url: '/v1/orgs/globex/cognigy',
    headers: bearer(tenant.adminKey),
    payload: { apiBase: 'https://api.example.com/new', apiKey: 'globex-key-123456' },
  });
  await createOrg(t.app, other.adminKey, 'acme');
});
afterAll(async () => {
  await t?.close();
  await rm(dir, { recursive: true, force: true });
});

/** V8's full collection, callable without starting the process with --expose-gc. */
function collectGarbage(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe('GET /v1/audit-events', () => {
  test('lists the tenant’s events newest first, and only its own', async () => {
    const res = await get('/v1/audit-events', auditor.token);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { seq: number; chain: string; action: string }[];
    expect(items.map((e) => e.seq)).toEqual([...items.map((e) => e.seq)].sort((a, b) => b - a));
    expect(new Set(items.map((e) => e.chain))).toEqual(new Set([tenant.id]));
    expect(items.map((e) => e.action).reverse()).toEqual([
      'tenant.created',
      'api_key.created',
      'api_key.created',
      'org.created',
      'org.created',
      'org.updated',
      'cognigy_target.updated',
    ]);
  });

  test('filters by org (id or slug), actor, action prefix, target and time range', async () => {
    const actions = async (query: string) =>
      ((await get(`/v1/audit-events?${query}`, auditor.token)).json().items as { action: string }[]).map(
        (e) => e.action,
      );
    expect(await actions('org=acme')).toEqual(['org.updated', 'org.created']);
    expect(await actions(`org=${globex.id}`)).toEqual(['cognigy_target.updated', 'org.created']);
    expect(await actions('action=org.')).toEqual(['org.updated', 'org.created', 'org.created']);
    expect(await actions('action=cognigy_target.updated')).toEqual(['cognigy_target.updated']);
    expect(await actions(`actor=${auditor.id}`)).toEqual([]);
    expect((await actions(`actor=${tenant.adminKeyId}`)).length).toBe(5);
    expect(await actions(`targetType=org&targetId=${acme.id}`)).toEqual(['org.updated', 'org.created']);
    expect(await actions('from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z')).toEqual([]);
    expect((await actions(`from=${new Date(Date.now() - 3600_000).toISOString()}`)).length).toBe(7);
    expectProblem(
      await get('/v1/audit-events?from=2001-01-02T00:00:00Z&to=2001-01-01T00:00:00Z', auditor.token),
      400,
    );
    expectProblem(await get('/v1/audit-events?org=nope', auditor.token), 404);
  });

  test('pages with an opaque cursor through every event exactly once', async () => {
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/audit-events?limit=2${cursor ? `&cursor=${cursor}` : ''}`, auditor.token);
      seen.push(...(res.json().items as { seq: number }[]).map((e) => e.seq));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expectProblem(await get('/v1/audit-events?cursor=bm90LWEtY3Vyc29y', auditor.token), 400);
  });

  test('shows an org-scoped auditor only its orgs’ events, and refuses editors', async () => {
    const scoped = await createKey(t.app, tenant.adminKey, ['auditor'], [globex.id]);
    const items = (await get('/v1/audit-events', scoped.token)).json().items as { orgId: string }[];
    expect(items.length).toBe(2);
    expect(new Set(items.map((e) => e.orgId))).toEqual(new Set([globex.id]));
    expectProblem(await get('/v1/audit-events?org=acme', scoped.token), 404);
    expectProblem(await get('/v1/audit-events/verify', scoped.token), 403);
    const editor = await createKey(t.app, tenant.adminKey, ['editor']);
    expectProblem(await get('/v1/audit-events', editor.token), 403);
  });
});

describe('GET /v1/audit-events/export', () => {
  test('streams NDJSON with chain hashes that verify offline, and CSV with a header', async () => {
    const ndjson = await get('/v1/audit-events/export?format=ndjson', auditor.token);
    expect(ndjson.statusCode).toBe(200);
    expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(ndjson.headers['content-disposition']).toMatch(/attachment; filename="audit-.*\.ndjson"/);
    const lines = ndjson.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual(lines.map((_, i) => i + 1));
    expect(lines.at(-1).action).toBe('audit.exported');
    const file = join(dir, 'export.ndjson');
    await writeFile(file, ndjson.body);
    const ok = verifyScript(file);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`OK: ${lines.length} events`));

    const tampered = ndjson.body.replace('"Acme Corp"', '"Evil Corp"');
    expect(tampered).not.toBe(ndjson.body);
    await writeFile(file, tampered);
    const bad = verifyScript(file);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/MISMATCH at chain .* seq \d+/);

    const csv = await get('/v1/audit-events/export?format=csv&org=acme', auditor.token);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const rows = csv.body.trim().split('\n');
    expect(rows[0]).toBe(
      'chain,seq,id,tenantId,occurredAt,actorType,actorId,actorName,action,targetType,targetId,orgId,requestId,sourceIp,userAgent,outcome,diff,prevHash,hash',
    );
    // Two events of acme, then this export's own event (recorded before the rows are read).
    expect(rows.length).toBe(4);
    expect(rows[3]).toContain(',audit.exported,');
  });

  test('the offline check names the seq of a removed, repeated or swapped middle line of an unfiltered export', async () => {
    const ndjson = await get('/v1/audit-events/export?format=ndjson', auditor.token);
    const lines = ndjson.body.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(5);
    const file = join(dir, 'edited.ndjson');
    const check = async (edited: string[], ...flags: string[]) => {
      await writeFile(file, `${edited.join('\n')}\n`);
      return verifyScript(file, ...flags);
    };
    const whole = await check(lines);
    expect(whole.status, whole.stderr).toBe(0);
    expect(whole.stdout).toContain('each chain whole from seq 1');

    const removed = await check([...lines.slice(0, 2), ...lines.slice(3)]);
    expect(removed.status).toBe(1);
    expect(removed.stderr).toMatch(/seq 4 .*: seq 3 is missing before it/);

    const repeated = await check([...lines.slice(0, 3), lines[2] as string, ...lines.slice(3)]);
    expect(repeated.status).toBe(1);
    expect(repeated.stderr).toMatch(/seq 3 .*: seq 3 appears twice/);

    const swapped = await check([
      ...lines.slice(0, 2),
      lines[3] as string,
      lines[2] as string,
      ...lines.slice(4),
    ]);
    expect(swapped.status).toBe(1);
    expect(swapped.stderr).toMatch(/seq 4 .*: seq 3 is missing before it/);

    const headless = await check(lines.slice(1));
    expect(headless.status).toBe(1);
    expect(headless.stderr).toMatch(/seq 2 .*: seq 1 is missing before it/);

    // Filtered: a gap is allowed (and said to prove nothing); order and repeats are still checked.
    const gap = await check([...lines.slice(0, 2), ...lines.slice(3)], '--filtered');
    expect(gap.status, gap.stderr).toBe(0);
    expect(gap.stdout).toMatch(/1 gap\(s\) between exported events cannot be told from the filter/);
    const filteredSwap = await check([lines[1] as string, lines[0] as string], '--filtered');
    expect(filteredSwap.status).toBe(1);
    expect(filteredSwap.stderr).toMatch(/seq 1 .*: seq 1 comes after seq 2/);
  });

  test('streams 100,000 events with a flat heap, and the export verifies offline', async () => {
    const volume = await createTenant(t.app);
    const volumeAuditor = await createKey(t.app, volume.adminKey, ['auditor']);
    let started = performance.now();
    await appendManyEvents(t.database.pool, volume.id, 100_000);
    const seedMs = performance.now() - started;
    started = performance.now();
    const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
    // What the process holds, not what it has yet to collect: the heap after a full collection,
    // at the start and after every 10,000 lines. (The heap sampled between collections measured
    // the young generation's garbage too: 8–15 MB on Node 20, 30–52 MB on Node 24, whose V8 lets it
    // grow larger before collecting, for the same export.)
    const gc = collectGarbage();
    const retained = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const baseline = retained();
    let peak = baseline;
    let nextCheck = 10_000;
    // The export goes straight into the offline verifier's stdin (no disk: writing 70 MB to this
    // machine's disk takes longer than the export itself).
    const verifier = spawn(process.execPath, ['scripts/verify-audit-export.mjs'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let verifierOut = '';
    verifier.stdout.on('data', (d) => {
      verifierOut += d;
    });
    verifier.stderr.on('data', (d) => {
      verifierOut += d;
    });
    const exited = new Promise<number | null>((resolve) => verifier.on('close', resolve));
    let bytes = 0;
    let lines = 0;
    let lastLine = '';
    try {
      const res = await fetch(`${address}/v1/audit-events/export?format=ndjson`, {
        headers: bearer(volumeAuditor.token),
      });
      expect(res.status).toBe(200);
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
        for (const byte of chunk) if (byte === 10) lines += 1;
        if (lines >= nextCheck) {
          peak = Math.max(peak, retained());
          nextCheck += 10_000;
        }
        lastLine = (lastLine + Buffer.from(chunk).toString('utf8')).split('\n').slice(-2).join('\n');
        if (!verifier.stdin.write(chunk))
          await new Promise<void>((resolve) => verifier.stdin.once('drain', () => resolve()));
      }
    } finally {
      verifier.stdin.end();
    }
    const exportMs = performance.now() - started;
    const growthMb = (peak - baseline) / 1024 / 1024;
    const sizeMb = bytes / 1024 / 1024;
    // The export is far larger than the heap ever grows: it was never held in memory.
    expect(sizeMb).toBeGreaterThan(50);
    console.info(`audit export: retained heap growth ${growthMb.toFixed(1)} MB for ${sizeMb.toFixed(1)} MB`);
    expect(growthMb).toBeLessThan(20); // held whole, the export alone would be 69 MB
    // tenant.created and two api_key.created, the 100,000 bulk events, then this export's own event.
    expect(lines).toBe(100_004);
    expect(JSON.parse(lastLine.trim()).action).toBe('audit.exported');
    started = performance.now();
    expect(await exited, verifierOut).toBe(0);
    expect(verifierOut).toMatch(/OK: 100004 events/);
    console.info(
      `export: ${lines} events, ${sizeMb.toFixed(1)} MB streamed in ${Math.round(exportMs)} ms, heap peak ` +
        `+${growthMb.toFixed(1)} MB (seed ${Math.round(seedMs)} ms, verifier finished ${Math.round(performance.now() - started)} ms after)`,
    );
  }, 180_000);

  test('writes each NDJSON line exactly as JSON.stringify of the stored event, whatever its text and diff', async () => {
    const odd = await createTenant(t.app);
    const oddAuditor = await createKey(t.app, odd.adminKey, ['auditor']);
    // Every control character, quotes, backslashes, separators inside strings, non-ASCII, and
    // diffs whose numbers or keys JavaScript prints differently from jsonb.
    const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('');
    const texts = [
      controls,
      'a "quoted", \\ back\\slash: \\"',
      'é ü 中文 \u2028 \u2029 \u007f 😀',
      '',
      ' : , ',
      '{"x": 1}',
    ];
    const diffs: string[] = [
      JSON.stringify({ before: { name: texts[1] }, after: { name: texts[2], labels: { 'k: v': 'a, b' } } }),
      JSON.stringify({ after: { ratio: 1.5, big: 1e21, tiny: 1e-7, neg: -0, n: -42 } }),
      JSON.stringify({ after: { 10: 'ten', 2: 'two', b: 'bee', '01': 'zero-one' } }),
      JSON.stringify({
        before: {},
        after: { list: [], nested: [[1, 2.25], { z: null, a: true }], s: controls },
      }),
      JSON.stringify({ after: { [texts[1] as string]: texts[0], '"q"': 1 } }),
      // Numbers as jsonb keeps them, which no JavaScript value prints.
      '{"after": {"x": 1.50, "y": 1E+2, "z": 0.0000010, "w": 123456789012345678901234567890, "v": 1e400}}',
      '{}',
    ];
    const head = await t.database.pool.query<{ seq: number }>(
      'SELECT max(seq) AS seq FROM audit_events WHERE chain = $1',
      [odd.id],
    );
    const firstSeq = (head.rows[0]?.seq ?? 0) + 1;
    for (const [i, diff] of diffs.entries()) {
      const text = texts[i % texts.length] as string;
      await t.database.pool.query(
        `INSERT INTO audit_events (id, chain, seq, tenant_id, occurred_at, actor_type, actor_id, actor_name, action,
           target_type, target_id, org_id, request_id, source_ip, user_agent, outcome, diff, prev_hash, hash)
         VALUES (gen_random_uuid(), $1, $2, $9, $3, 'api_key', NULL, $4, 'org.updated', $5, $4, NULL, $6,
           NULL, $4, 'success', $7::jsonb, $8, $8)`,
        [
          odd.id,
          firstSeq + i,
          new Date(Date.UTC(2026, 0, 2, 3, 4, 5, i * 7)),
          text,
          `t${text}`,
          i % 2 ? null : text,
          diff,
          'f'.repeat(64),
          odd.id,
        ],
      );
    }
    const res = await get('/v1/audit-events/export?format=ndjson', oddAuditor.token);
    expect(res.statusCode).toBe(200);
    // The stored events as the export wrote them before it was built in Postgres: pg row → record → JSON.
    const stored = (await exportQuery(t.database.db, { chain: odd.id, orgScope: null }).execute()).map(
      (row) => `${JSON.stringify(recordOf(row))}\n`,
    );
    const lines = res.body.split(/(?<=\n)/);
    // Read after the export: both end with its own audit.exported event.
    expect(lines.length).toBe(stored.length);
    expect(lines.length).toBeGreaterThan(diffs.length);
    for (const [i, line] of lines.entries()) expect(line).toBe(stored[i]);
  });
});
