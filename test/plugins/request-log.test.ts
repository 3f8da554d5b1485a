/**
 * One log line per request (plugins/request-log.ts): written when the response is sent, with what
 * an operator needs to follow a caller — and nothing a query string could carry.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { bearer, createTenant, createTestApp, type TenantFixture, type TestApp } from '../support/app.js';

let t: TestApp;
let tenant: TenantFixture;

beforeAll(async () => {
  t = await createTestApp({ LOG_LEVEL: 'info' }, 'requestlog');
  tenant = await createTenant(t.app);
});

afterAll(async () => {
  await t?.close();
});

const linesOf = (id: string) => t.logs.map((line) => JSON.parse(line)).filter((entry) => entry.reqId === id);

test('a request is one line: method, path without query values, route, status, duration, key id, address', async () => {
  const id = `one-line-${Date.now()}`;
  const res = await t.app.inject({
    method: 'GET',
    url: '/v1/orgs?limit=5&q=secret-looking-search',
    headers: { ...bearer(tenant.adminKey), 'x-request-id': id, 'user-agent': 'log-test/1' },
    remoteAddress: '10.9.8.7',
  });
  expect(res.statusCode).toBe(200);
  const lines = linesOf(id);
  expect(lines).toHaveLength(1);
  const [line] = lines;
  expect(line).toMatchObject({
    level: 'info',
    msg: 'request completed',
    method: 'GET',
    url: '/v1/orgs?limit=…&q=…',
    route: '/v1/orgs',
    statusCode: 200,
    keyId: tenant.adminKeyId,
    remoteAddress: '10.9.8.7',
    userAgent: 'log-test/1',
  });
  expect(line.responseTime).toBeGreaterThan(0);
  expect(JSON.stringify(line)).not.toContain('secret-looking-search');
});

test('a refused request is its refusal plus the completion line, both naming the caller', async () => {
  const id = `refused-${Date.now()}`;
  const res = await t.app.inject({
    method: 'GET',
    url: '/v1/orgs/no-such-org',
    headers: { ...bearer(tenant.adminKey), 'x-request-id': id },
  });
  expect(res.statusCode).toBe(404);
  const lines = linesOf(id);
  expect(lines.map((l) => l.msg)).toEqual(['request refused', 'request completed']);
  expect(lines.every((l) => l.keyId === tenant.adminKeyId)).toBe(true);
  expect(lines[1]).toMatchObject({ statusCode: 404, route: '/v1/orgs/:org' });
});
