import { afterAll, beforeAll, expect, test } from 'vitest';
import { bearer, createTenant, createTestApp, type TestApp } from './support/app.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({}, 'smoke');
});
afterAll(async () => t?.close());

test('smoke', async () => {
  const ready = await t.app.inject({ method: 'GET', url: '/readyz' });
  expect(ready.statusCode).toBe(200);
  const tenant = await createTenant(t.app);
  const org = await t.app.inject({
    method: 'POST',
    url: '/v1/orgs',
    headers: bearer(tenant.adminKey),
    payload: { slug: 'acme', name: 'Acme' },
  });
  console.log(org.statusCode, org.body);
  const put = await t.app.inject({
    method: 'PUT',
    url: '/v1/orgs/acme/cognigy',
    headers: bearer(tenant.adminKey),
    payload: { apiBase: 'https://api-trial.cognigy.ai/new/', apiKey: 'cognigy-secret-key-123' },
  });
  console.log(put.statusCode, put.body);
  const bad = await t.app.inject({
    method: 'POST',
    url: '/v1/orgs',
    headers: bearer(tenant.adminKey),
    payload: { slug: 'Bad Slug', name: 'x', extra: 1 },
  });
  console.log(bad.statusCode, bad.headers['content-type'], bad.body);
  const list = await t.app.inject({
    method: 'GET',
    url: '/v1/orgs?label=a=b&limit=1',
    headers: bearer(tenant.adminKey),
  });
  console.log(list.statusCode, list.body);
  const m = await t.app.inject({ method: 'GET', url: '/metrics' });
  console.log(
    m.statusCode,
    m.body
      .split('\n')
      .filter((l) => l.startsWith('http_request_duration_seconds_count'))
      .join('\n'),
  );
});
