/**
 * Tenants (§2, §3.3): the platform admin creates them with their first admin key and lists them;
 * a tenant's own keys read it, and its admin changes its settings under optimistic concurrency.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createTenant,
  createTestApp,
  expectProblem,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { snapshotDatabase } from '../../support/db-snapshot.js';
import { countRows } from '../../support/rows.js';

let t: TestApp;

const asPlatform = (method: 'GET' | 'POST', url: string, payload?: object) =>
  t.app.inject({ method, url, headers: bearer(PLATFORM_KEY), ...(payload ? { payload } : {}) });

beforeAll(async () => {
  t = await createTestApp({}, 'tenants');
});

afterAll(async () => {
  await t?.close();
});

describe('creating a tenant', () => {
  test('answers 201 with the tenant and a first admin key that works at once', async () => {
    const res = await asPlatform('POST', '/v1/tenants', { slug: 'msp-one', name: '  MSP One  ' });
    expect(res.statusCode, res.body).toBe(201);
    const { tenant, adminKey } = res.json();
    expect(tenant).toEqual({
      id: expect.any(String),
      slug: 'msp-one',
      name: 'MSP One',
      settings: { allowSelfApproval: false, allowRollbackApproval: false },
      revision: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.headers.location).toBe(`/v1/tenants/${tenant.id}`);
    expect(adminKey.apiKey).toMatchObject({
      name: 'first admin',
      roles: ['admin'],
      orgScope: null,
      createdById: null,
    });
    expect(adminKey.token).toMatch(/^csso_/);
    const own = await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: bearer(adminKey.token) });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual(tenant);
    const org = await t.app.inject({
      method: 'POST',
      url: '/v1/orgs',
      headers: bearer(adminKey.token),
      payload: { slug: 'first-org', name: 'First' },
    });
    expect(org.statusCode).toBe(201);
  });

  test('the first admin key may be given a name', async () => {
    const res = await asPlatform('POST', '/v1/tenants', {
      slug: 'msp-named',
      name: 'Named',
      firstAdminKeyName: 'bootstrap',
    });
    expect(res.json().adminKey.apiKey.name).toBe('bootstrap');
  });

  test('creates the tenant’s fingerprint key with it', async () => {
    const { id } = await createTenant(t.app);
    const rows = await t.database.pool.query('SELECT 1 FROM tenant_secret_keys WHERE tenant_id = $1', [id]);
    expect(rows.rowCount).toBe(1);
  });

  test('a slug already taken is 409 TENANT_SLUG_TAKEN and creates nothing (no tenant, no key)', async () => {
    await createTenant(t.app, 'msp-taken');
    const before = await snapshotDatabase(t.database.pool);
    const res = await asPlatform('POST', '/v1/tenants', { slug: 'msp-taken', name: 'Again' });
    const body = expectProblem(res, 409, 'TENANT_SLUG_TAKEN');
    expect(body.errors).toEqual([{ pointer: '/body/slug', detail: expect.any(String) }]);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('the same slug created twice at once gives one tenant and one 409', async () => {
    const results = await Promise.all(
      [1, 2, 3].map(() => asPlatform('POST', '/v1/tenants', { slug: 'msp-race', name: 'Race' })),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409, 409]);
    expect(await countRows(t.database.db, 'tenants', { slug: 'msp-race' })).toBe(1);
  });
});

describe('listing and reading tenants', () => {
  test('GET /v1/tenants pages through every tenant exactly once in creation order', async () => {
    for (let i = 0; i < 3; i += 1) await createTenant(t.app);
    const all = (await asPlatform('GET', '/v1/tenants?limit=200'))
      .json()
      .items.map((x: { id: string }) => x.id);
    const expected = (
      await t.database.pool.query<{ id: string }>('SELECT id FROM tenants ORDER BY created_at, id')
    ).rows.map((r) => r.id);
    expect(all).toEqual(expected);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: LightMyRequestResponse = await asPlatform(
        'GET',
        `/v1/tenants?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode).toBe(200);
      seen.push(...res.json().items.map((x: { id: string }) => x.id));
      cursor = res.json().nextCursor;
      pages += 1;
    } while (cursor && pages < 50);
    expect(cursor).toBeNull();
    expect(seen).toEqual(expected);
  });

  test('GET /v1/tenants/:tenant answers the tenant (id in any case); an unknown one is 404', async () => {
    const { id } = await createTenant(t.app, 'msp-read');
    const res = await asPlatform('GET', `/v1/tenants/${id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, slug: 'msp-read' });
    expect((await asPlatform('GET', `/v1/tenants/${id.toUpperCase()}`)).json().id).toBe(id);
    expectProblem(
      await asPlatform('GET', '/v1/tenants/01900000-0000-7000-8000-000000000000'),
      404,
      'TENANT_NOT_FOUND',
    );
  });
});

describe('the caller’s tenant (/v1/tenant)', () => {
  let tenant: TenantFixture;
  const patch = (payload: object, headers: Record<string, string> = {}, key = tenant.adminKey) =>
    t.app.inject({ method: 'PATCH', url: '/v1/tenant', headers: { ...bearer(key), ...headers }, payload });
  const read = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: bearer(tenant.adminKey) });
    return { etag: res.headers.etag, body: res.json() };
  };

  beforeAll(async () => {
    tenant = await createTenant(t.app);
  });

  test.each(['admin', 'editor', 'approver', 'auditor'])(
    'a key with the %s role reads its tenant with an ETag',
    async (role) => {
      const key = (await createKey(t.app, tenant.adminKey, [role])).token;
      const res = await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: bearer(key) });
      expect(res.statusCode).toBe(200);
      expect(res.json().id).toBe(tenant.id);
      expect(res.headers.etag).toBe(`"${res.json().revision}"`);
    },
  );

  test('an admin changes the name and settings; the revision and ETag move on', async () => {
    const before = await read();
    const res = await patch(
      { name: ' Renamed MSP ', allowSelfApproval: true },
      { 'if-match': before.etag as string },
    );
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({
      id: tenant.id,
      name: 'Renamed MSP',
      settings: { allowSelfApproval: true, allowRollbackApproval: false },
      revision: before.body.revision + 1,
    });
    expect(res.headers.etag).toBe(`"${before.body.revision + 1}"`);
    expect((await read()).body).toEqual(res.json());
  });

  test('a stale If-Match is 409 TENANT_REVISION_STALE with the current tenant, and nothing changes', async () => {
    const current = await read();
    const snapshot = await snapshotDatabase(t.database.pool);
    const res = await patch({ name: 'Lost' }, { 'if-match': `"${current.body.revision - 1 || 99}"` });
    const body = expectProblem(res, 409, 'TENANT_REVISION_STALE');
    expect(body.current).toEqual(current.body);
    expect(await snapshotDatabase(t.database.pool)).toEqual(snapshot);
  });

  test('the revision in the body works like If-Match', async () => {
    const { body } = await read();
    expect((await patch({ allowSelfApproval: false, revision: body.revision })).statusCode).toBe(200);
    expectProblem(
      await patch({ allowSelfApproval: true, revision: body.revision }),
      409,
      'TENANT_REVISION_STALE',
    );
  });

  test('If-Match "*" is accepted; a malformed one is 400', async () => {
    expect((await patch({ name: 'Star' }, { 'if-match': '*' })).statusCode).toBe(200);
    expectProblem(await patch({ name: 'Bad' }, { 'if-match': 'seven' }), 400, 'REQUEST_IF_MATCH_INVALID');
  });

  test('an empty change is 400', async () => {
    expectProblem(await patch({}), 400, 'REQUEST_VALIDATION_FAILED');
  });

  test('only an admin may change it (403 for the other roles)', async () => {
    for (const role of ['editor', 'approver', 'auditor']) {
      const key = (await createKey(t.app, tenant.adminKey, [role])).token;
      expectProblem(await patch({ name: 'Mine now' }, {}, key), 403, 'AUTH_ROLE_REQUIRED');
    }
  });

  test('changing one tenant leaves every other tenant as it was', async () => {
    const other = await createTenant(t.app);
    const before = (
      await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: bearer(other.adminKey) })
    ).json();
    expect((await patch({ name: 'Only me' })).statusCode).toBe(200);
    const after = (
      await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: bearer(other.adminKey) })
    ).json();
    expect(after).toEqual(before);
  });
});
