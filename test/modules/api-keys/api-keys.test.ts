/**
 * API keys (§3.2, §3.3, §8): issued once, stored hashed, listed newest first, revocable at once,
 * optionally limited to some orgs and to a time.
 */
import { createHash } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
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
import { snapshotDatabase } from '../../support/db-snapshot.js';
import { countRows } from '../../support/rows.js';

interface ApiKeyView {
  id: string;
  name: string;
  displayPrefix: string;
  roles: string[];
  orgScope: string[] | null;
  createdAt: string;
  createdById: string | null;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
  revokedById: string | null;
}

let t: TestApp;
let tenant: TenantFixture;

function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  options: { key?: string; payload?: object } = {},
): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method,
    url,
    headers: bearer(options.key ?? tenant.adminKey),
    ...(options.payload ? { payload: options.payload } : {}),
  });
}

async function issue(payload: object, key = tenant.adminKey) {
  const res = await call('POST', '/v1/api-keys', { key, payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json() as { apiKey: ApiKeyView; token: string };
}

const works = async (token: string) =>
  (await t.app.inject({ method: 'GET', url: '/v1/tenant', headers: bearer(token) })).statusCode;

beforeAll(async () => {
  t = await createTestApp({}, 'apikeys');
  tenant = await createTenant(t.app);
});

afterAll(async () => {
  await t?.close();
});

describe('issuing a key', () => {
  test('answers 201 with the key and its token, which works at once', async () => {
    const res = await call('POST', '/v1/api-keys', {
      payload: { name: ' ci pipeline ', roles: ['editor', 'approver'] },
    });
    expect(res.statusCode).toBe(201);
    const { apiKey, token } = res.json() as { apiKey: ApiKeyView; token: string };
    expect(token).toMatch(/^csso_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}$/);
    expect(apiKey).toEqual({
      id: expect.any(String),
      name: 'ci pipeline',
      displayPrefix: expect.stringMatching(/^csso_[A-Za-z0-9_-]{12}_…$/),
      roles: ['editor', 'approver'],
      orgScope: null,
      createdAt: expect.any(String),
      createdById: tenant.adminKeyId,
      expiresAt: null,
      lastUsedAt: null,
      revokedAt: null,
      revokedById: null,
    });
    expect(token.startsWith(apiKey.displayPrefix.slice(0, -1))).toBe(true);
    expect(res.headers.location).toBe(`/v1/api-keys/${apiKey.id}`);
    expect(await works(token)).toBe(200);
  });

  test('every key is different', async () => {
    const tokens = await Promise.all([1, 2, 3, 4].map(() => issue({ name: 'same', roles: ['auditor'] })));
    expect(new Set(tokens.map((k) => k.token)).size).toBe(4);
    expect(new Set(tokens.map((k) => k.apiKey.displayPrefix)).size).toBe(4);
  });

  test('the token is shown once: never by GET or in the list', async () => {
    const { apiKey, token } = await issue({ name: 'shown once', roles: ['auditor'] });
    const secret = token.slice(-43);
    const got = await call('GET', `/v1/api-keys/${apiKey.id}`);
    const listed = await call('GET', '/v1/api-keys?limit=200&includeRevoked=true');
    for (const res of [got, listed]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain(token);
      expect(res.body).not.toContain(secret);
      expect(res.body).not.toContain('"token"');
    }
    expect(got.json()).toMatchObject({ id: apiKey.id, name: 'shown once', roles: ['auditor'] });
  });

  test('the key is stored hashed: its text is in no column of api_keys', async () => {
    const { apiKey, token } = await issue({ name: 'hashed', roles: ['admin'] });
    const secret = token.slice(-43);
    const rows = await t.database.pool.query<{ row: string; hash: Buffer }>(
      'SELECT to_jsonb(k)::text AS row, secret_hash AS hash FROM api_keys k',
    );
    const all = rows.rows.map((r) => r.row).join('\n');
    for (const text of [
      token,
      secret,
      Buffer.from(secret).toString('hex'),
      Buffer.from(secret).toString('base64'),
    ]) {
      expect(all).not.toContain(text);
    }
    const own = await t.database.pool.query<{ hash: Buffer }>(
      'SELECT secret_hash AS hash FROM api_keys WHERE id = $1',
      [apiKey.id],
    );
    expect(own.rows[0]?.hash.equals(createHash('sha256').update(secret).digest())).toBe(true);
  });

  test('an org scope of active orgs of the tenant is kept (ids in lower case)', async () => {
    const a = await createOrg(t.app, tenant.adminKey, 'scope-a');
    const b = await createOrg(t.app, tenant.adminKey, 'scope-b');
    const { apiKey } = await issue({
      name: 'scoped',
      roles: ['editor'],
      orgScope: [a.id.toUpperCase(), b.id],
    });
    expect(apiKey.orgScope).toEqual([a.id, b.id]);
    expect((await call('GET', `/v1/api-keys/${apiKey.id}`)).json().orgScope).toEqual([a.id, b.id]);
  });

  test.each([
    ['an unknown org', async () => ['01900000-0000-7000-8000-000000000000']],
    [
      'an org of another tenant',
      async () => [(await createOrg(t.app, (await createTenant(t.app)).adminKey, 'elsewhere')).id],
    ],
    [
      'an archived org',
      async () => {
        const org = await createOrg(t.app, tenant.adminKey, 'archived-scope');
        await call('DELETE', `/v1/orgs/${org.id}`);
        return [org.id];
      },
    ],
    [
      'a known org next to an unknown one',
      async () => [
        (await createOrg(t.app, tenant.adminKey, 'half-known')).id,
        '01900000-0000-7000-8000-000000000001',
      ],
    ],
  ])('an org scope naming %s is 400 API_KEY_ORG_SCOPE_INVALID and issues nothing', async (_what, scope) => {
    const orgScope = await scope();
    const before = await snapshotDatabase(t.database.pool);
    const res = await call('POST', '/v1/api-keys', {
      payload: { name: 'bad scope', roles: ['admin'], orgScope },
    });
    const body = expectProblem(res, 400, 'API_KEY_ORG_SCOPE_INVALID');
    expect(body.errors).toEqual([{ pointer: '/body/orgScope', detail: expect.any(String) }]);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('an expiry in the past (or now) is 400 API_KEY_EXPIRY_INVALID', async () => {
    const before = await countRows(t.database.db, 'api_keys');
    for (const expiresAt of ['2020-01-01T00:00:00Z', new Date(Date.now() - 1000).toISOString()]) {
      const res = await call('POST', '/v1/api-keys', {
        payload: { name: 'old', roles: ['admin'], expiresAt },
      });
      const body = expectProblem(res, 400, 'API_KEY_EXPIRY_INVALID');
      expect(body.errors).toEqual([{ pointer: '/body/expiresAt', detail: expect.any(String) }]);
    }
    expect(await countRows(t.database.db, 'api_keys')).toBe(before);
  });

  test('an expiry in the future is kept, in any time zone notation', async () => {
    const { apiKey } = await issue({
      name: 'temp',
      roles: ['auditor'],
      expiresAt: '2099-06-01T14:00:00+02:00',
    });
    expect(apiKey.expiresAt).toBe('2099-06-01T12:00:00.000Z');
  });

  test('an expiry that is not a date-time is 400', async () => {
    for (const expiresAt of ['tomorrow', '2099-13-01T00:00:00Z', '2099-01-01']) {
      expectProblem(
        await call('POST', '/v1/api-keys', { payload: { name: 'x', roles: ['admin'], expiresAt } }),
        400,
      );
    }
  });

  test('roles must be known, at least one, and not repeated', async () => {
    for (const roles of [[], ['root'], ['admin', 'admin'], ['platform_admin']]) {
      expectProblem(
        await call('POST', '/v1/api-keys', { payload: { name: 'x', roles } }),
        400,
        'REQUEST_VALIDATION_FAILED',
      );
    }
  });
});

describe('listing keys', () => {
  let owner: TenantFixture;
  const names = ['k1', 'k2', 'k3', 'k4', 'k5'];
  const ids: string[] = [];

  beforeAll(async () => {
    owner = await createTenant(t.app);
    for (const name of names) {
      ids.push((await issue({ name, roles: ['auditor'] }, owner.adminKey)).apiKey.id);
      await new Promise((resolve) => setTimeout(resolve, 5)); // distinct creation times
    }
  });

  const list = (query = '') => call('GET', `/v1/api-keys${query}`, { key: owner.adminKey });
  const namesOf = (res: LightMyRequestResponse) => res.json().items.map((k: ApiKeyView) => k.name);

  test('lists the tenant’s keys newest first', async () => {
    const res = await list();
    expect(res.statusCode).toBe(200);
    expect(namesOf(res)).toEqual(['k5', 'k4', 'k3', 'k2', 'k1', 'first admin']);
    expect(res.json().nextCursor).toBeNull();
  });

  test('cursor pagination with limit=2 walks every key exactly once, newest first', async () => {
    const all = namesOf(await list('?limit=200'));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...namesOf(res));
      cursor = res.json().nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(cursor).toBeNull();
    expect(seen).toEqual(all);
    expect(pages).toBe(3);
  });

  test('revoked keys are left out unless includeRevoked=true', async () => {
    const revoked = await call('DELETE', `/v1/api-keys/${ids[2]}`, { key: owner.adminKey });
    expect(revoked.statusCode).toBe(200);
    expect(namesOf(await list())).toEqual(['k5', 'k4', 'k2', 'k1', 'first admin']);
    expect(namesOf(await list('?includeRevoked=false'))).toEqual(['k5', 'k4', 'k2', 'k1', 'first admin']);
    expect(namesOf(await list('?includeRevoked=true'))).toEqual([
      'k5',
      'k4',
      'k3',
      'k2',
      'k1',
      'first admin',
    ]);
  });

  test('an auditor may list and read keys', async () => {
    const auditor = await createKey(t.app, owner.adminKey, ['auditor']);
    const res = await call('GET', '/v1/api-keys', { key: auditor.token });
    expect(res.statusCode).toBe(200);
    expect((await call('GET', `/v1/api-keys/${ids[0]}`, { key: auditor.token })).statusCode).toBe(200);
  });
});

describe('reading a key', () => {
  test('GET answers the key by id (in any case); an unknown id is 404 API_KEY_NOT_FOUND', async () => {
    const { apiKey } = await issue({ name: 'readable', roles: ['auditor'] });
    expect((await call('GET', `/v1/api-keys/${apiKey.id}`)).json()).toEqual(apiKey);
    expect((await call('GET', `/v1/api-keys/${apiKey.id.toUpperCase()}`)).json().id).toBe(apiKey.id);
    expectProblem(
      await call('GET', '/v1/api-keys/01900000-0000-7000-8000-000000000000'),
      404,
      'API_KEY_NOT_FOUND',
    );
  });

  test('lastUsedAt is set once the key has been used', async () => {
    const { apiKey, token } = await issue({ name: 'used', roles: ['auditor'] });
    expect(apiKey.lastUsedAt).toBeNull();
    expect(await works(token)).toBe(200);
    const after = (await call('GET', `/v1/api-keys/${apiKey.id}`)).json() as ApiKeyView;
    expect(after.lastUsedAt).not.toBeNull();
    expect(Date.parse(after.lastUsedAt as string)).toBeGreaterThanOrEqual(Date.parse(apiKey.createdAt));
  });
});

describe('revoking a key', () => {
  test('DELETE revokes at once: the key is 401 on its next request', async () => {
    const { apiKey, token } = await issue({ name: 'doomed', roles: ['admin'] });
    expect(await works(token)).toBe(200);
    const res = await call('DELETE', `/v1/api-keys/${apiKey.id}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: apiKey.id,
      revokedAt: expect.any(String),
      revokedById: tenant.adminKeyId,
    });
    expect(await works(token)).toBe(401);
  });

  test('revoking twice answers the same state and changes nothing', async () => {
    const { apiKey } = await issue({ name: 'twice', roles: ['auditor'] });
    const first = await call('DELETE', `/v1/api-keys/${apiKey.id}`);
    const before = await snapshotDatabase(t.database.pool);
    const second = await call('DELETE', `/v1/api-keys/${apiKey.id}`);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });

  test('revoking an unknown key is 404 API_KEY_NOT_FOUND', async () => {
    expectProblem(
      await call('DELETE', '/v1/api-keys/01900000-0000-7000-8000-000000000000'),
      404,
      'API_KEY_NOT_FOUND',
    );
  });

  test('a key revoked by another admin records who revoked it', async () => {
    const second = await issue({ name: 'second admin', roles: ['admin'] });
    const target = await issue({ name: 'target', roles: ['auditor'] });
    const res = await call('DELETE', `/v1/api-keys/${target.apiKey.id}`, { key: second.token });
    expect(res.json().revokedById).toBe(second.apiKey.id);
  });

  test('an admin may revoke its own key, which then stops working', async () => {
    const self = await issue({ name: 'self', roles: ['admin'] });
    const res = await call('DELETE', `/v1/api-keys/${self.apiKey.id}`, { key: self.token });
    expect(res.statusCode).toBe(200);
    expect(await works(self.token)).toBe(401);
  });

  test('a revoked key may not be used to revoke or issue others', async () => {
    const revoked = await issue({ name: 'revoked admin', roles: ['admin'] });
    await call('DELETE', `/v1/api-keys/${revoked.apiKey.id}`);
    const before = await snapshotDatabase(t.database.pool);
    expectProblem(
      await call('POST', '/v1/api-keys', { key: revoked.token, payload: { name: 'x', roles: ['admin'] } }),
      401,
    );
    expectProblem(await call('DELETE', `/v1/api-keys/${tenant.adminKeyId}`, { key: revoked.token }), 401);
    expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  });
});
