/**
 * The typed client (src/client) against the real service on a real port: a call names the
 * document's path and method, gets the document's types back, and a problem+json answer reads as its
 * title, detail and field pointers. The types themselves are drift-tested in test/openapi.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type ApiClient, createApiClient, describeProblem } from '../../src/client/api-client.js';
import { createKey, createTenant, createTestApp, type TenantFixture, type TestApp } from '../support/app.js';

let t: TestApp;
let acme: TenantFixture;
let globex: TenantFixture;
let client: ApiClient;
let baseUrl: string;

beforeAll(async () => {
  t = await createTestApp({}, 'api_client');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}/`;
  acme = await createTenant(t.app);
  globex = await createTenant(t.app);
  const manager = await createKey(t.app, acme.adminKey, ['admin', 'editor']);
  client = createApiClient({ baseUrl, apiKey: manager.token });
});
afterAll(() => t?.close());

describe('the typed client', () => {
  test('creates and reads an org and a draft through the document’s operations', async () => {
    const created = await client.POST('/v1/orgs', {
      body: { slug: 'typed', name: 'Typed Ltd', labels: { env: 'prod' } },
    });
    expect(created.response.status).toBe(201);
    expect(created.data?.slug).toBe('typed');

    const read = await client.GET('/v1/orgs/{org}', { params: { path: { org: 'typed' } } });
    expect(read.data?.labels).toEqual({ env: 'prod' });
    expect(read.response.headers.get('etag')).toBeTruthy();

    const draft = await client.POST('/v1/orgs/{org}/sso/versions', {
      params: { path: { org: 'typed' } },
      body: { kind: 'disabled', baseVersion: 0, note: 'through the typed client' },
    });
    expect(draft.response.status).toBe(201);
    expect(draft.data?.number).toBe(1);

    const list = await client.GET('/v1/orgs/{org}/sso/versions', { params: { path: { org: 'typed' } } });
    expect(list.data?.items.map((v) => v.number)).toEqual([1]);
  });

  test('a problem answer: typed as a Problem and described with its field pointers', async () => {
    const bad = await client.POST('/v1/orgs', { body: { slug: 'Not A Slug!', name: 'x' } });
    expect(bad.response.status).toBe(400);
    expect(bad.data).toBeUndefined();
    const text = describeProblem(bad.error, bad.response.status);
    expect(text).toContain(bad.error?.title);
    expect(text).toMatch(/\/body\/slug: /);
  });

  test('another tenant’s org is 404, as for a direct call', async () => {
    const other = createApiClient({ baseUrl, apiKey: globex.adminKey });
    const res = await other.GET('/v1/orgs/{org}', { params: { path: { org: 'typed' } } });
    expect(res.response.status).toBe(404);
    expect(res.error?.status).toBe(404);
  });

  test('a wrong key is 401, and nothing is described as success', async () => {
    const stranger = createApiClient({ baseUrl, apiKey: 'csso_not_a_key' });
    const res = await stranger.GET('/v1/me');
    expect(res.response.status).toBe(401);
    expect(describeProblem(res.error, 401)).not.toBe('');
  });
});
