/**
 * Every response carries x-request-id (§3.1): the caller's own when it is a sane token, a fresh
 * UUID otherwise. Problem bodies and log lines name the same id.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createTenant,
  createTestApp,
  expectProblem,
  PLATFORM_KEY,
  type TenantFixture,
  type TestApp,
} from '../support/app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let t: TestApp;
let tenant: TenantFixture;

const get = (url: string, headers: Record<string, string | string[]> = {}) =>
  t.app.inject({ method: 'GET', url, headers: { ...bearer(tenant.adminKey), ...headers } });

beforeAll(async () => {
  t = await createTestApp({ AUTH_FAILURE_LIMIT: '2' }, 'requestid');
  tenant = await createTenant(t.app);
});

afterAll(async () => {
  await t?.close();
});

describe('a request id sent by the caller', () => {
  test.each([
    ['a simple token', 'abc-123'],
    ['letters, digits and . _ : -', 'trace.ID_01:span-02'],
    ['a UUID', '3f2b8c1e-4d5a-4b6c-8d7e-9f0a1b2c3d4e'],
    ['exactly 128 characters', 'r'.repeat(128)],
    ['a single character', 'x'],
  ])('is echoed when it is %s', async (_what, id) => {
    const res = await get('/v1/tenant', { 'x-request-id': id });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe(id);
  });

  test.each([
    ['a space', 'has space'],
    ['a semicolon', 'a;b'],
    ['angle brackets', '<script>'],
    ['a slash', 'a/b'],
    ['a quote', 'a"b'],
    ['non-ASCII text', Buffer.from('ünïcode', 'utf8').toString('latin1')],
    ['nothing', ''],
    ['129 characters', 'r'.repeat(129)],
    ['a very long value', 'r'.repeat(5000)],
  ])('is replaced by a fresh UUID when it has %s', async (_what, id) => {
    const res = await get('/v1/tenant', { 'x-request-id': id });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.headers['x-request-id']).not.toBe(id);
  });

  test('is replaced when sent twice', async () => {
    const res = await get('/v1/tenant', { 'x-request-id': ['first', 'second'] });
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  test('is named in the log lines of that request', async () => {
    const id = `log-trace-${Date.now()}`;
    await get('/v1/orgs', { 'x-request-id': id });
    const lines = t.logs.filter((line) => line.includes(`"reqId":"${id}"`));
    expect(lines.length).toBeGreaterThan(0);
  });
});

describe('a request without one', () => {
  test('gets a fresh UUID, different for every request', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i += 1) {
      const id = (await get('/v1/tenant')).headers['x-request-id'] as string;
      expect(id).toMatch(UUID);
      ids.add(id);
    }
    expect(ids.size).toBe(5);
  });
});

describe('every response carries it, and problem bodies name the same one', () => {
  const cases: Array<[string, () => Promise<LightMyRequestResponse>, number]> = [
    ['a success', () => get('/v1/tenant'), 200],
    ['a list', () => get('/v1/orgs?limit=1'), 200],
    [
      'a creation',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/orgs',
          headers: bearer(tenant.adminKey),
          payload: { slug: 'request-id-org', name: 'Request id' },
        }),
      201,
    ],
    [
      'a HEAD',
      () => t.app.inject({ method: 'HEAD', url: '/v1/tenant', headers: bearer(tenant.adminKey) }),
      200,
    ],
    ['a public route', () => t.app.inject({ method: 'GET', url: '/healthz' }), 200],
    ['the metrics', () => t.app.inject({ method: 'GET', url: '/metrics' }), 200],
    ['the OpenAPI document', () => t.app.inject({ method: 'GET', url: '/openapi.json' }), 200],
    [
      'a missing key (401)',
      () => t.app.inject({ method: 'GET', url: '/v1/tenant', remoteAddress: '198.51.100.1' }),
      401,
    ],
    ['a platform key on a tenant route (403)', () => get('/v1/tenant', bearer(PLATFORM_KEY)), 403],
    ['an unknown route (404)', () => get('/v1/nowhere'), 404],
    ['an unknown org (404)', () => get('/v1/orgs/no-such-org'), 404],
    ['a validation failure (400)', () => get('/v1/orgs?limit=0'), 400],
    ['a URL that does not decode (400)', () => get('/v1/orgs/%E0%A4%A'), 400],
    [
      'malformed JSON (400)',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/orgs',
          headers: { ...bearer(tenant.adminKey), 'content-type': 'application/json' },
          payload: '{"slug":',
        }),
      400,
    ],
    [
      'a wrong content type (415)',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/orgs',
          headers: { ...bearer(tenant.adminKey), 'content-type': 'text/plain' },
          payload: 'x',
        }),
      415,
    ],
    [
      'a body over 1 MiB (413)',
      () =>
        t.app.inject({
          method: 'POST',
          url: '/v1/orgs',
          headers: { ...bearer(tenant.adminKey), 'content-type': 'application/json' },
          payload: `"${'a'.repeat(1024 * 1024)}"`,
        }),
      413,
    ],
    [
      'the rate limit (429)',
      async () => {
        const attempt = () =>
          t.app.inject({
            method: 'GET',
            url: '/v1/tenant',
            headers: bearer('wrong-key-wrong-key'),
            remoteAddress: '198.51.100.9',
          });
        for (let i = 0; i < 3; i += 1) await attempt();
        return attempt();
      },
      429,
    ],
  ];

  test.each(cases)('%s', async (_what, send, status) => {
    const res = await send();
    expect(res.statusCode).toBe(status);
    const id = res.headers['x-request-id'];
    expect(typeof id).toBe('string');
    expect(id).toMatch(UUID);
    if (status >= 400) {
      const body = expectProblem(res, status);
      expect(body.requestId).toBe(id);
      expect(body.instance).toMatch(new RegExp(`#request=${id}$`));
    }
  });

  test.each([
    ['an unknown org', '/v1/orgs/no-such-org', 404],
    ['a validation failure', '/v1/orgs?limit=0', 400],
    ['a URL that does not decode', '/v1/orgs/%zz', 400],
  ] as const)('the problem body of %s names the caller’s own request id', async (_what, url, status) => {
    const res = await get(url, { 'x-request-id': 'client-chosen-42' });
    const body = expectProblem(res, status);
    expect(res.headers['x-request-id']).toBe('client-chosen-42');
    expect(body.requestId).toBe('client-chosen-42');
  });
});
