/**
 * Acceptance (issue 3): concurrent writers keep the chain gap-free; the database refuses to rewrite
 * history; an attacker who bypasses that is named by verify; random operation sequences always
 * leave a verifiable chain with one event per successful change.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { systemContext } from '../../../src/lib/request-context.js';
import type { AuditEntry } from '../../../src/modules/audit/audit-event.js';
import {
  bearer,
  createKey,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { chainOf, countEvents } from '../../support/audit.js';

let t: TestApp;
let tenant: TenantFixture;
let auditor: { id: string; token: string };

beforeAll(async () => {
  t = await createTestApp({ AUTH_FAILURE_LIMIT: '10000' }, 'auditchain');
  tenant = await createTenant(t.app);
  auditor = await createKey(t.app, tenant.adminKey, ['auditor']);
});
afterAll(async () => t?.close());

const verify = async (query = '') =>
  (
    await t.app.inject({
      method: 'GET',
      url: `/v1/audit-events/verify${query}`,
      headers: bearer(auditor.token),
    })
  ).json();

/** Runs `sql` as a superuser would, with the append-only trigger switched off around it. */
async function asAttacker(sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: t.testDb.adminUrl });
  await client.connect();
  try {
    await client.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
    await client.query(sql, params);
  } finally {
    await client.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
    await client.end();
  }
}

describe('the hash chain of a tenant', () => {
  test('stays gap-free and verifiable with 20 concurrent writers', async () => {
    const before = (await chainOf(t.database.pool, tenant.id)).length;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.app.inject({
          method: 'POST',
          url: '/v1/orgs',
          headers: bearer(tenant.adminKey),
          payload: { slug: `concurrent-${i}`, name: `Concurrent ${i}` },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(Array(20).fill(201));
    const chain = await chainOf(t.database.pool, tenant.id);
    expect(chain.length).toBe(before + 20);
    expect(chain.map((e) => e.seq)).toEqual(Array.from({ length: chain.length }, (_, i) => i + 1));
    expect(await verify()).toMatchObject({ ok: true, checked: chain.length, firstMismatch: null });
  });

  test('refuses UPDATE, DELETE and TRUNCATE through the service’s own connection', async () => {
    const count = await countEvents(t.database.pool);
    await expect(
      t.database.pool.query("UPDATE audit_events SET actor_name = 'someone else'"),
    ).rejects.toThrow(/append-only/);
    await expect(t.database.pool.query('DELETE FROM audit_events')).rejects.toThrow(/append-only/);
    await expect(t.database.pool.query('TRUNCATE audit_events')).rejects.toThrow(/append-only/);
    await expect(t.database.db.deleteFrom('audit_events').execute()).rejects.toThrow();
    expect(await countEvents(t.database.pool)).toBe(count);
  });

  test('names exactly the event whose payload an attacker altered with the trigger disabled', async () => {
    const chain = await chainOf(t.database.pool, tenant.id);
    const victim = chain[Math.floor(chain.length / 2)];
    if (!victim) throw new Error('chain too short');
    await asAttacker(
      `UPDATE audit_events SET diff = '{"after": {"name": "forged"}}' WHERE chain = $1 AND seq = $2`,
      [tenant.id, victim.seq],
    );
    const result = await verify();
    expect(result.ok).toBe(false);
    expect(result.firstMismatch).toMatchObject({ seq: victim.seq, reason: 'hash' });
    // A range that ends before the altered event still verifies.
    expect(await verify(`?toSeq=${victim.seq - 1}`)).toMatchObject({ ok: true, checked: victim.seq - 1 });
    expect((await verify(`?fromSeq=${victim.seq}`)).firstMismatch).toMatchObject({ seq: victim.seq });
  });

  test('names the gap an attacker leaves by deleting an event (in another tenant’s chain, independent)', async () => {
    const other = await createTenant(t.app);
    for (const slug of ['a', 'b', 'c']) {
      await t.app.inject({
        method: 'POST',
        url: '/v1/orgs',
        headers: bearer(other.adminKey),
        payload: { slug, name: slug },
      });
    }
    const otherAuditor = await createKey(t.app, other.adminKey, ['auditor']);
    const verifyOther = async () =>
      (
        await t.app.inject({
          method: 'GET',
          url: '/v1/audit-events/verify',
          headers: bearer(otherAuditor.token),
        })
      ).json();
    expect((await verifyOther()).ok).toBe(true);
    await asAttacker('DELETE FROM audit_events WHERE chain = $1 AND seq = 3', [other.id]);
    expect((await verifyOther()).firstMismatch).toMatchObject({ seq: 4, reason: 'gap' });
  });
});

describe('random sequences of operations', () => {
  test('always leave a chain that verifies, with one event per successful change', async () => {
    type Op =
      | { kind: 'createOrg'; slug: string }
      | { kind: 'renameOrg'; index: number; name: string }
      | { kind: 'setTarget'; index: number; key: string }
      | { kind: 'createKey'; roles: string[] }
      | { kind: 'revokeKey'; index: number }
      | { kind: 'badOrg' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('createOrg' as const), slug: fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/) }),
      fc.record({
        kind: fc.constant('renameOrg' as const),
        index: fc.nat(),
        name: fc.string({ minLength: 1, maxLength: 20 }),
      }),
      fc.record({
        kind: fc.constant('setTarget' as const),
        index: fc.nat(),
        key: fc.stringMatching(/^[A-Za-z0-9]{8,30}$/),
      }),
      fc.record({
        kind: fc.constant('createKey' as const),
        roles: fc.subarray(['admin', 'editor', 'approver', 'auditor'], { minLength: 1 }),
      }),
      fc.record({ kind: fc.constant('revokeKey' as const), index: fc.nat() }),
      fc.constant({ kind: 'badOrg' as const }),
    );

    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 12 }), async (ops) => {
        const run = await createTenant(t.app);
        const headers = bearer(run.adminKey);
        const orgs: string[] = [];
        const keys: string[] = [];
        let successes = 2; // tenant.created + api_key.created of the first admin key
        for (const o of ops) {
          let res: { statusCode: number; json: () => { id?: string; apiKey?: { id: string } } } | undefined;
          let changes = true;
          switch (o.kind) {
            case 'createOrg':
              res = await t.app.inject({
                method: 'POST',
                url: '/v1/orgs',
                headers,
                payload: { slug: o.slug, name: o.slug },
              });
              if (res.statusCode === 201) orgs.push(res.json().id as string);
              break;
            case 'renameOrg':
              if (orgs.length === 0) continue;
              res = await t.app.inject({
                method: 'PATCH',
                url: `/v1/orgs/${orgs[o.index % orgs.length]}`,
                headers,
                payload: { name: o.name },
              });
              break;
            case 'setTarget':
              if (orgs.length === 0) continue;
              res = await t.app.inject({
                method: 'PUT',
                url: `/v1/orgs/${orgs[o.index % orgs.length]}/cognigy`,
                headers,
                payload: { apiBase: 'https://api.example.com/new', apiKey: o.key },
              });
              break;
            case 'createKey':
              res = await t.app.inject({
                method: 'POST',
                url: '/v1/api-keys',
                headers,
                payload: { name: 'k', roles: o.roles },
              });
              if (res.statusCode === 201) keys.push(res.json().apiKey?.id as string);
              break;
            case 'revokeKey': {
              if (keys.length === 0) continue;
              const [id] = keys.splice(o.index % keys.length, 1);
              res = await t.app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers });
              break;
            }
            case 'badOrg':
              res = await t.app.inject({
                method: 'POST',
                url: '/v1/orgs',
                headers,
                payload: { slug: 'Not Valid', name: 'x' },
              });
              changes = false;
              break;
          }
          if (res && res.statusCode < 300 && changes) successes += 1;
        }
        const chain = await chainOf(t.database.pool, run.id);
        expect(chain.length).toBe(successes);
        const auditorKey = await createKey(t.app, run.adminKey, ['auditor']);
        const result = (
          await t.app.inject({
            method: 'GET',
            url: '/v1/audit-events/verify',
            headers: bearer(auditorKey.token),
          })
        ).json();
        expect(result).toMatchObject({ ok: true, checked: successes + 1 });
      }),
      { numRuns: 25 },
    );
  });
});

describe('several events appended in one change (recordAll, as the forwarder settles a batch)', () => {
  test('each chain gets its events in order, gap-free, and both chains verify; concurrent batches over the same chains do not deadlock', async () => {
    // Tenants of their own: earlier tests here tamper with the shared tenant's chain on purpose.
    const tenant = await createTenant(t.app);
    const auditor = await createKey(t.app, tenant.adminKey, ['auditor']);
    const other = await createTenant(t.app);
    const otherAuditor = await createKey(t.app, other.adminKey, ['auditor']);
    const before = {
      mine: (await chainOf(t.database.pool, tenant.id)).length,
      other: (await chainOf(t.database.pool, other.id)).length,
    };
    // The chain does not read the diff: a marker `n` stands in for a deployment's.
    const entry = (tenantId: string, n: number) =>
      ({
        tenantId,
        action: 'deployment.succeeded' as const,
        target: { type: 'deployment', id: `batch-${n}` },
        diff: { after: { n } },
      }) as unknown as AuditEntry;
    // Two batches at once, naming the two tenants in opposite orders.
    await Promise.all([
      t.container.change(systemContext('test'), (_tx, trail) =>
        trail.recordAll([entry(other.id, 1), entry(tenant.id, 2), entry(other.id, 3)]),
      ),
      t.container.change(systemContext('test'), (_tx, trail) =>
        trail.recordAll([entry(tenant.id, 4), entry(other.id, 5)]),
      ),
    ]);
    const mine = (await chainOf(t.database.pool, tenant.id)).slice(before.mine);
    const theirs = (await chainOf(t.database.pool, other.id)).slice(before.other);
    expect(mine.map((e) => e.diff.after?.n).sort()).toEqual([2, 4]);
    expect(theirs.map((e) => e.diff.after?.n)).toEqual(expect.arrayContaining([1, 3, 5]));
    // Within one batch, the order given is the order in the chain.
    const positions = theirs.map((e) => e.diff.after?.n);
    expect(positions.indexOf(1)).toBeLessThan(positions.indexOf(3));
    for (const chain of [mine, theirs]) {
      expect(chain.map((e) => e.seq)).toEqual(chain.map((_, i) => (chain[0]?.seq ?? 0) + i));
    }
    for (const key of [auditor, otherAuditor]) {
      const res = await t.app.inject({
        method: 'GET',
        url: '/v1/audit-events/verify',
        headers: bearer(key.token),
      });
      expect(res.json()).toMatchObject({ ok: true });
    }
  });
});
