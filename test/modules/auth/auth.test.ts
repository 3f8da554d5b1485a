/**
 * Authentication (§3.1, §8): who may call at all, the platform/tenant split (§3.3), and the rate
 * limit on failed attempts per source address.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  expectProblem,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { countRows } from '../../support/rows.js';

const FAILURE_LIMIT = 3;

let t: TestApp;
let tenant: TenantFixture;
let orgId: string;

let ipCounter = 0;
/** Every test uses addresses of its own, so the failure counter of one never blocks another. */
const freshIp = () => {
  ipCounter += 1;
  return `10.${Math.floor(ipCounter / 250)}.${ipCounter % 250}.7`;
};

const get = (url: string, headers: Record<string, string>, remoteAddress = freshIp()) =>
  t.app.inject({ method: 'GET', url, headers, remoteAddress });

beforeAll(async () => {
  t = await createTestApp(
    { AUTH_FAILURE_LIMIT: String(FAILURE_LIMIT), AUTH_FAILURE_WINDOW_SECONDS: '60' },
    'auth',
  );
  tenant = await createTenant(t.app);
  orgId = (await createOrg(t.app, tenant.adminKey, 'auth-org')).id;
});

afterAll(async () => {
  await t?.close();
});

describe('who is refused with 401', () => {
  test('a request without any key is 401 with WWW-Authenticate: Bearer', async () => {
    const res = await get('/v1/tenant', {});
    expectProblem(res, 401, 'AUTH_UNAUTHENTICATED');
    expect(res.headers['www-authenticate']).toBe('Bearer');
  });

  test.each([['Bearer'], ['Bearer '], ['Bearer a b'], ['Basic dXNlcjpwYXNz'], ['Token abc'], ['bearer']])(
    'a malformed Authorization header (%j) is 401',
    async (authorization) => {
      expectProblem(await get('/v1/tenant', { authorization }), 401, 'AUTH_UNAUTHENTICATED');
    },
  );

  test('an unknown key is 401, in the API key format or not', async () => {
    const unknown = `csso_${'A'.repeat(12)}_${'b'.repeat(43)}`;
    expectProblem(await get('/v1/tenant', bearer(unknown)), 401, 'AUTH_UNAUTHENTICATED');
    expectProblem(await get('/v1/tenant', bearer('not-a-key-at-all')), 401, 'AUTH_UNAUTHENTICATED');
    expectProblem(await get('/v1/tenant', bearer('x'.repeat(5000))), 401, 'AUTH_UNAUTHENTICATED');
  });

  test('a key with an existing prefix but a wrong secret is 401', async () => {
    const key = await createKey(t.app, tenant.adminKey, ['auditor']);
    const last = key.token.at(-1) === 'A' ? 'B' : 'A';
    const forged = `${key.token.slice(0, -1)}${last}`;
    expectProblem(await get('/v1/tenant', bearer(forged)), 401, 'AUTH_UNAUTHENTICATED');
    expect((await get('/v1/tenant', bearer(key.token))).statusCode).toBe(200);
  });

  test('a revoked key is 401 from the very next request on', async () => {
    const key = await createKey(t.app, tenant.adminKey, ['editor']);
    expect((await get('/v1/tenant', bearer(key.token))).statusCode).toBe(200);
    const revoked = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${key.id}`,
      headers: bearer(tenant.adminKey),
    });
    expect(revoked.statusCode).toBe(200);
    expectProblem(await get('/v1/tenant', bearer(key.token)), 401, 'AUTH_UNAUTHENTICATED');
    expectProblem(await get('/v1/tenant', { 'x-api-key': key.token }), 401, 'AUTH_UNAUTHENTICATED');
  });

  test('an expired key is 401 from its expiry on, though it was verified (and cached) just before', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(tenant.adminKey),
      payload: { name: 'expiring', roles: ['auditor'], expiresAt: new Date(Date.now() + 1500).toISOString() },
    });
    expect(res.statusCode).toBe(201);
    const { apiKey, token } = res.json();
    expect((await get('/v1/tenant', bearer(token))).statusCode).toBe(200);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, Date.parse(apiKey.expiresAt) - Date.now() + 50)),
    );
    expectProblem(await get('/v1/tenant', bearer(token)), 401, 'AUTH_UNAUTHENTICATED');
  });

  test('unknown, revoked and expired keys are refused with the same answer, so none is confirmed to exist', async () => {
    const revokedKey = await createKey(t.app, tenant.adminKey, ['auditor']);
    await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${revokedKey.id}`,
      headers: bearer(tenant.adminKey),
    });
    const expiredKey = await createKey(t.app, tenant.adminKey, ['auditor']);
    await t.database.pool.query(`UPDATE api_keys SET expires_at = now() - interval '1 day' WHERE id = $1`, [
      expiredKey.id,
    ]);
    const answers = await Promise.all(
      [revokedKey.token, expiredKey.token, `csso_${'Z'.repeat(12)}_${'z'.repeat(43)}`].map(async (token) => {
        const res = await get('/v1/orgs', bearer(token));
        const body = expectProblem(res, 401);
        return {
          code: body.code,
          detail: body.detail,
          title: body.title,
          auth: res.headers['www-authenticate'],
        };
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[2]).toEqual(answers[0]);
  });

  test('no presented key is ever written to the log', async () => {
    const key = await createKey(t.app, tenant.adminKey, ['auditor']);
    const wrong = `csso_${'Q'.repeat(12)}_${'q'.repeat(43)}`;
    await get('/v1/tenant', bearer(key.token));
    await get('/v1/tenant', { 'x-api-key': key.token });
    await get('/v1/tenant', bearer(wrong));
    const logs = t.logs.join('\n');
    for (const secret of [key.token, wrong, PLATFORM_KEY, tenant.adminKey]) {
      expect(logs).not.toContain(secret);
      expect(logs).not.toContain(secret.slice(-43));
    }
  });
});

describe('how a key may be presented', () => {
  test('X-API-Key is accepted like a bearer token', async () => {
    const res = await get('/v1/tenant', { 'x-api-key': tenant.adminKey });
    expect(res.statusCode).toBe(200);
    expect(res.json().id).toBe(tenant.id);
    const platform = await get('/v1/tenants', { 'x-api-key': PLATFORM_KEY });
    expect(platform.statusCode).toBe(200);
  });

  test('HEAD needs a key just like GET', async () => {
    const head = (headers: Record<string, string>) =>
      t.app.inject({ method: 'HEAD', url: `/v1/orgs/${orgId}`, headers, remoteAddress: freshIp() });
    expect((await head({})).statusCode).toBe(401);
    expect((await head(bearer('wrong-key-wrong-key'))).statusCode).toBe(401);
    expect((await head(bearer(PLATFORM_KEY))).statusCode).toBe(403);
    expect((await head(bearer(tenant.adminKey))).statusCode).toBe(200);
    const stranger = await createTenant(t.app);
    expect((await head(bearer(stranger.adminKey))).statusCode).toBe(404);
  });

  test('the Bearer scheme is case-insensitive', async () => {
    const res = await get('/v1/tenant', { authorization: `bearer ${tenant.adminKey}` });
    expect(res.statusCode).toBe(200);
  });
});

describe('the platform key and tenant keys do not cross', () => {
  /** Every documented operation that is not the platform's own, from the OpenAPI document. */
  const isPublic = (op: unknown) =>
    Array.isArray((op as { security?: unknown }).security) &&
    (op as { security: unknown[] }).security.length === 0;

  function tenantOperations(): Array<{ method: string; url: string }> {
    const paths = (t.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    return Object.entries(paths)
      .filter(([path]) => path.startsWith('/v1/') && !path.startsWith('/v1/tenants'))
      .flatMap(([path, ops]) =>
        Object.entries(ops)
          // Public operations (security: []) need no key at all: the sign-in page's options, the
          // checkpoints' public keys.
          .filter(([, op]) => !isPublic(op))
          .map(([method]) => ({
            method: method.toUpperCase(),
            url: path
              .replace('{org}', orgId)
              .replace('{id}', tenant.adminKeyId)
              .replace(/\{[^}]+\}/g, '1'),
          })),
      );
  }

  /**
   * The routes that serve the platform key too, for the platform's own audit chain (access
   * `platform: true`): verify and the signed checkpoints. Anything else a tenant route.
   */
  const PLATFORM_CHAIN_ROUTES = [
    'GET /v1/audit-events/verify',
    'GET /v1/audit-events/checkpoints',
    'POST /v1/audit-events/checkpoints',
  ];

  test('the platform key is 403 on every tenant route', async () => {
    const operations = tenantOperations().filter(
      ({ method, url }) => !PLATFORM_CHAIN_ROUTES.includes(`${method} ${url}`),
    );
    expect(operations.length).toBeGreaterThanOrEqual(10);
    for (const { method, url } of operations) {
      const res = await t.app.inject({
        method: method as 'GET',
        url,
        headers: bearer(PLATFORM_KEY),
        ...(method === 'GET' || method === 'DELETE' ? {} : { payload: {} }),
      });
      const body = expectProblem(res, 403);
      expect(body.code, `${method} ${url}`).toBe('AUTH_PLATFORM_KEY_NOT_ALLOWED');
    }
    const org = await get(`/v1/orgs/${orgId}`, bearer(tenant.adminKey));
    expect(org.json().revision).toBe(1);
  });

  test('the platform key reaches only the platform chain on the audit routes it may call', async () => {
    const documented = tenantOperations().map(({ method, url }) => `${method} ${url}`);
    for (const route of PLATFORM_CHAIN_ROUTES) expect(documented).toContain(route);
    const verify = await get('/v1/audit-events/verify', bearer(PLATFORM_KEY));
    expect(verify.statusCode).toBe(200);
    expect(verify.json().chain).toBe('platform');
    const checkpoints = await get('/v1/audit-events/checkpoints', bearer(PLATFORM_KEY));
    expect(checkpoints.statusCode).toBe(200);
    for (const item of checkpoints.json().items as Array<{ chain: string }>)
      expect(item.chain).toBe('platform');
  });

  test.each(['admin', 'editor', 'approver', 'auditor'])(
    'a tenant key with the %s role is 403 on every platform route and creates no tenant',
    async (role) => {
      const key =
        role === 'admin' ? { token: tenant.adminKey } : await createKey(t.app, tenant.adminKey, [role]);
      const before = await countRows(t.database.db, 'tenants');
      const attempts = [
        t.app.inject({
          method: 'POST',
          url: '/v1/tenants',
          headers: bearer(key.token),
          payload: { slug: `sneaky-${role}`, name: 'Sneaky' },
        }),
        t.app.inject({ method: 'GET', url: '/v1/tenants', headers: bearer(key.token) }),
        t.app.inject({ method: 'GET', url: `/v1/tenants/${tenant.id}`, headers: bearer(key.token) }),
      ];
      for (const res of await Promise.all(attempts)) {
        expectProblem(res, 403, 'AUTH_PLATFORM_ADMIN_REQUIRED');
      }
      expect(await countRows(t.database.db, 'tenants')).toBe(before);
    },
  );
});

describe('rate limit on failed authentication', () => {
  const fail = (ip: string) => get('/v1/tenant', bearer('wrong-key-wrong-key'), ip);

  test(`after ${FAILURE_LIMIT} failures from one address the next attempt is 429 with Retry-After`, async () => {
    const ip = freshIp();
    for (let i = 0; i < FAILURE_LIMIT; i += 1) expectProblem(await fail(ip), 401, 'AUTH_UNAUTHENTICATED');
    const blocked = await fail(ip);
    expectProblem(blocked, 429, 'AUTH_TOO_MANY_FAILURES');
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  test('a blocked address is refused even with a valid key, in either header', async () => {
    const ip = freshIp();
    for (let i = 0; i <= FAILURE_LIMIT; i += 1) await fail(ip);
    expectProblem(await get('/v1/tenant', bearer(tenant.adminKey), ip), 429, 'AUTH_TOO_MANY_FAILURES');
    expectProblem(await get('/v1/tenant', { 'x-api-key': tenant.adminKey }, ip), 429);
    expectProblem(await get('/v1/tenants', bearer(PLATFORM_KEY), ip), 429);
  });

  test('a blocked address does not block another address', async () => {
    const ip = freshIp();
    for (let i = 0; i <= FAILURE_LIMIT; i += 1) await fail(ip);
    const other = freshIp();
    expect((await get('/v1/tenant', bearer(tenant.adminKey), other)).statusCode).toBe(200);
    expectProblem(await fail(other), 401);
  });

  test('successful authentications do not count as failures and do not reset them', async () => {
    const ip = freshIp();
    for (let i = 0; i < FAILURE_LIMIT - 1; i += 1) expectProblem(await fail(ip), 401);
    for (let i = 0; i < FAILURE_LIMIT * 3; i += 1) {
      expect((await get('/v1/tenant', bearer(tenant.adminKey), ip)).statusCode).toBe(200);
    }
    expectProblem(await fail(ip), 401);
    expectProblem(await fail(ip), 429, 'AUTH_TOO_MANY_FAILURES');
  });

  test('a key refused for lacking a role (403) is not a failed authentication', async () => {
    const auditor = await createKey(t.app, tenant.adminKey, ['auditor']);
    const ip = freshIp();
    for (let i = 0; i < FAILURE_LIMIT * 3; i += 1) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/orgs',
        headers: bearer(auditor.token),
        payload: { slug: 'nope', name: 'Nope' },
        remoteAddress: ip,
      });
      expectProblem(res, 403, 'AUTH_ROLE_REQUIRED');
    }
    expect((await get('/v1/tenant', bearer(auditor.token), ip)).statusCode).toBe(200);
  });

  test('public routes are neither counted nor blocked', async () => {
    const ip = freshIp();
    for (let i = 0; i <= FAILURE_LIMIT; i += 1) await fail(ip);
    expect((await get('/healthz', {}, ip)).statusCode).toBe(200);
  });

  test('a blocked address may authenticate again once the window has passed', async () => {
    const short = await createTestApp(
      { AUTH_FAILURE_LIMIT: '1', AUTH_FAILURE_WINDOW_SECONDS: '1' },
      'authwin',
    );
    try {
      const owner = await createTenant(short.app);
      const ip = '192.0.2.44';
      const call = (key: string) =>
        short.app.inject({ method: 'GET', url: '/v1/tenant', headers: bearer(key), remoteAddress: ip });
      expectProblem(await call('wrong-key-wrong-key'), 401);
      const blocked = await call('wrong-key-wrong-key');
      expectProblem(blocked, 429);
      expect(blocked.headers['retry-after']).toBe('1');
      expectProblem(await call(owner.adminKey), 429);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      expect((await call(owner.adminKey)).statusCode).toBe(200);
    } finally {
      await short.close();
    }
  });
});

describe('the verified-key cache (AUTH_CACHE_TTL_SECONDS)', () => {
  test('a key revoked behind this process’s back (another process, or SQL) is refused within the cache time, and at once with the cache off', async () => {
    const cached = await createTestApp({ AUTH_CACHE_TTL_SECONDS: '2' }, 'auth-cache');
    const uncached = await createTestApp({ AUTH_CACHE_TTL_SECONDS: '0' }, 'auth-nocache');
    try {
      for (const [app, ttlMs] of [
        [cached, 2000],
        [uncached, 0],
      ] as const) {
        const owner = await createTenant(app.app);
        const key = await createKey(app.app, owner.adminKey, ['auditor']);
        const call = () =>
          app.app.inject({
            method: 'GET',
            url: '/v1/tenant',
            headers: bearer(key.token),
            remoteAddress: freshIp(),
          });
        expect((await call()).statusCode).toBe(200);
        const revokedAt = Date.now();
        await app.database.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [key.id]);
        // Polled until refused: how long it took is the revocation delay, bounded by the cache time.
        let status = (await call()).statusCode;
        while (status === 200 && Date.now() - revokedAt < ttlMs + 1000) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          status = (await call()).statusCode;
        }
        expect(status).toBe(401);
        expect(Date.now() - revokedAt).toBeLessThanOrEqual(ttlMs + 500);
        if (ttlMs === 0) expect(Date.now() - revokedAt).toBeLessThan(1000);
      }
    } finally {
      await cached.close();
      await uncached.close();
    }
  });
});
