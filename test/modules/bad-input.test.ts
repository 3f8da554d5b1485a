/**
 * Acceptance criterion: unknown fields, wrong types, oversize bodies (> 1 MB), malformed JSON, bad
 * UUIDs and slugs all give 4xx problem+json and change nothing (checked in the database).
 *
 * Every test here is a refusal, so after each one the whole database must equal the snapshot taken
 * once the fixtures were made.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../src/app.js';
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
} from '../support/app.js';
import { type DatabaseSnapshot, snapshotDatabase } from '../support/db-snapshot.js';
import { dereferencedDocument } from '../support/openapi.js';

type Method = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

interface WriteRoute {
  readonly method: Method;
  /** As in the OpenAPI document. */
  readonly path: string;
  readonly platform?: boolean;
  /** The role of the key that calls it (default admin): refusals must come from validation, not a role. */
  readonly role?: 'editor' | 'approver';
  /** A body the route accepts (absent: the route takes none). */
  readonly valid?: () => Record<string, unknown>;
}

/** Every route that writes. A test proves the list is complete. */
const WRITE_ROUTES: readonly WriteRoute[] = [
  { method: 'POST', path: '/v1/tenants', platform: true, valid: () => ({ slug: 'new-tenant', name: 'New' }) },
  { method: 'PATCH', path: '/v1/tenant', valid: () => ({ name: 'Renamed tenant' }) },
  { method: 'POST', path: '/v1/api-keys', valid: () => ({ name: 'new key', roles: ['auditor'] }) },
  { method: 'DELETE', path: '/v1/api-keys/{id}' },
  { method: 'POST', path: '/v1/orgs', valid: () => ({ slug: 'new-org', name: 'New org' }) },
  { method: 'PATCH', path: '/v1/orgs/{org}', valid: () => ({ name: 'Renamed org' }) },
  { method: 'DELETE', path: '/v1/orgs/{org}' },
  {
    method: 'PUT',
    path: '/v1/orgs/{org}/cognigy',
    valid: () => ({ apiBase: 'https://api-trial.cognigy.ai/other', apiKey: 'replacement-key-123' }),
  },
  { method: 'POST', path: '/v1/discovery/check', valid: () => ({ issuer: 'https://idp.example.invalid' }) },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions',
    role: 'editor',
    valid: () => ({ kind: 'disabled', baseVersion: 1, note: 'off' }),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/validate',
    role: 'editor',
    valid: () => ({ refresh: false }),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/approve',
    role: 'approver',
    valid: () => ({ comment: 'fine' }),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/reject',
    role: 'approver',
    valid: () => ({ comment: 'no' }),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/rollback',
    role: 'editor',
    valid: () => ({ note: 'back' }),
  },
  {
    method: 'POST',
    path: '/v1/sso/bulk',
    role: 'editor',
    valid: () => ({ selector: { orgs: ['target-org'] }, change: { idpClientId: 'x' } }),
  },
  {
    method: 'POST',
    path: '/v1/sso/bulk/approve',
    role: 'approver',
    valid: () => ({ selector: { orgs: ['target-org'] } }),
  },
  { method: 'POST', path: '/v1/orgs/{org}/deployments/{id}/retry', role: 'approver' },
  {
    method: 'POST',
    path: '/v1/plans',
    role: 'editor',
    valid: () => ({ document: { entries: [{ orgs: ['target-org'], sso: { kind: 'disabled' } }] } }),
  },
  { method: 'POST', path: '/v1/plans/{id}/apply', role: 'editor', valid: () => ({ approve: false }) },
  { method: 'POST', path: '/v1/orgs/{org}/watch/run', role: 'editor' },
  { method: 'PUT', path: '/v1/orgs/{org}/watch', valid: () => ({ credentialProbe: true }) },
  { method: 'POST', path: '/v1/webhooks', valid: () => ({ url: 'https://hooks.example.com/new' }) },
  { method: 'PATCH', path: '/v1/webhooks/{id}', valid: () => ({ description: 'changed' }) },
  { method: 'DELETE', path: '/v1/webhooks/{id}' },
  { method: 'POST', path: '/v1/webhooks/{id}/rotate-secret' },
  { method: 'POST', path: '/v1/webhooks/{id}/test' },
  { method: 'POST', path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver' },
  {
    method: 'PUT',
    path: '/v1/console-login',
    valid: () => ({
      issuer: 'https://idp.example.com',
      clientId: 'console',
      clientSecret: 'console-secret',
      roleMappings: [{ group: 'auditors', roles: ['auditor'], orgScope: null }],
    }),
  },
  { method: 'DELETE', path: '/v1/console-login' },
  { method: 'DELETE', path: '/v1/console-sessions/{id}' },
  { method: 'DELETE', path: '/v1/session' },
  { method: 'POST', path: '/v1/audit-events/checkpoints' },
];

const LIST_ROUTES = [
  { url: '/v1/tenants', platform: true, timeCursor: true },
  { url: '/v1/api-keys', platform: false, timeCursor: true },
  { url: '/v1/orgs', platform: false, timeCursor: false },
  { url: '/v1/findings', platform: false, timeCursor: false },
  { url: '/v1/webhooks', platform: false, timeCursor: true },
  { url: '/v1/console-sessions', platform: false, timeCursor: true },
] as const;

const name = (r: WriteRoute) => `${r.method} ${r.path}`;

let t: TestApp;
let tenant: TenantFixture;
let org: { id: string; slug: string };
let victimKeyId: string;
let webhook: { id: string; deliveryId: string };
let baseline: DatabaseSnapshot;

const roleKeys = {} as Record<'editor' | 'approver', string>;
const keyFor = (route: { platform?: boolean; role?: 'editor' | 'approver' }) =>
  route.platform ? PLATFORM_KEY : route.role ? roleKeys[route.role] : tenant.adminKey;
const urlOf = (route: WriteRoute) =>
  route.path
    .replace('{org}', org.id)
    .replace('{id}', route.path.startsWith('/v1/webhooks') ? webhook.id : victimKeyId)
    .replace('{deliveryId}', webhook.deliveryId)
    .replace('{number}', '1');

function send(
  route: WriteRoute,
  options: {
    payload?: string | object;
    contentType?: string;
    headers?: Record<string, string>;
    url?: string;
  } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...bearer(keyFor(route)), ...options.headers };
  if (options.contentType) headers['content-type'] = options.contentType;
  return t.app.inject({
    method: route.method,
    url: options.url ?? urlOf(route),
    headers,
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  });
}

/** A problem+json refusal whose body names the request id of its header. */
function expectRefused(res: LightMyRequestResponse, status: number, code?: string) {
  const body = expectProblem(res, status, code);
  expect(body.requestId).toBe(res.headers['x-request-id']);
  return body as { code: string; errors?: Array<{ pointer: string; detail: string }> };
}

const pointers = (body: { errors?: Array<{ pointer: string }> }) => (body.errors ?? []).map((e) => e.pointer);

interface PropertySchema {
  type?: string;
  anyOf?: Array<{ type?: string }>;
  const?: unknown;
  enum?: unknown[];
}

interface ObjectSchema {
  properties: Record<string, PropertySchema>;
}

interface Operation {
  requestBody?: {
    content?: Record<
      string,
      { schema?: ObjectSchema | { oneOf: ObjectSchema[]; discriminator: { propertyName: string } } }
    >;
  };
}

/**
 * The JSON Schema of a route's body, from the OpenAPI document. For a body with a discriminator
 * (oneOf by `kind`), the branch of the route's valid body, and the discriminating property, which
 * must keep its valid value for the branch's other fields to be checked at all.
 */
function bodySchema(route: WriteRoute): ObjectSchema & { tag?: string } {
  const paths = dereferencedDocument<{ paths: Record<string, Record<string, Operation>> }>(t.app).paths;
  const schema =
    paths[route.path]?.[route.method.toLowerCase()]?.requestBody?.content?.['application/json']?.schema;
  if (!schema) throw new Error(`${name(route)} documents no JSON body`);
  if (!('oneOf' in schema)) return schema;
  const tag = schema.discriminator.propertyName;
  const value = route.valid?.()?.[tag];
  const branch = schema.oneOf.find(
    (b) => b.properties[tag]?.const === value || b.properties[tag]?.enum?.includes(value),
  );
  if (!branch) throw new Error(`${name(route)}: no branch for ${tag}=${String(value)}`);
  return { ...branch, tag };
}

/** A value of a JSON type the property does not accept. */
function wrongTypeFor(schema: PropertySchema): unknown {
  const types = new Set([schema.type, ...(schema.anyOf ?? []).map((s) => s.type)].filter(Boolean));
  return types.has('integer') || types.has('number') ? 'not a number' : 12345;
}

beforeAll(async () => {
  // As the service's runtime role (issue 21): every route works with only its privileges.
  t = await createTestApp({}, 'badinput', {}, { roles: true });
  tenant = await createTenant(t.app);
  org = await createOrg(t.app, tenant.adminKey, 'target-org', { env: 'prod' });
  const put = await t.app.inject({
    method: 'PUT',
    url: `/v1/orgs/${org.id}/cognigy`,
    headers: bearer(tenant.adminKey),
    payload: { apiBase: 'https://api-trial.cognigy.ai/new', apiKey: 'original-key-123' },
  });
  expect(put.statusCode).toBe(200);
  victimKeyId = (await createKey(t.app, tenant.adminKey, ['editor'])).id;
  roleKeys.editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  roleKeys.approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  const draft = await t.app.inject({
    method: 'POST',
    url: `/v1/orgs/${org.id}/sso/versions`,
    headers: bearer(roleKeys.editor),
    payload: { kind: 'disabled', baseVersion: 0 },
  });
  expect(draft.statusCode, draft.body).toBe(201);
  // a webhook endpoint with one delivery (a test ping; no worker runs here, it stays pending)
  const hook = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bearer(tenant.adminKey),
    payload: { url: 'https://hooks.example.com/in' },
  });
  expect(hook.statusCode, hook.body).toBe(201);
  const ping = await t.app.inject({
    method: 'POST',
    url: `/v1/webhooks/${hook.json().webhook.id}/test`,
    headers: bearer(tenant.adminKey),
  });
  expect(ping.statusCode, ping.body).toBe(202);
  webhook = { id: hook.json().webhook.id, deliveryId: ping.json().deliveryId };
  baseline = await snapshotDatabase(t.database.pool);
});

afterEach(async () => {
  expect(await snapshotDatabase(t.database.pool)).toEqual(baseline);
});

afterAll(async () => {
  await t?.close();
});

test('the route table lists every route that writes (from the OpenAPI document)', () => {
  const paths = (t.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
  const documented = Object.entries(paths)
    .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
    .filter((op) => /^(POST|PUT|PATCH|DELETE) /.test(op))
    .sort();
  expect(WRITE_ROUTES.map(name).sort()).toEqual(documented);
});

test('the snapshot sees the tables that matter', () => {
  for (const table of ['tenants', 'api_keys', 'orgs', 'cognigy_targets', 'org_data_keys']) {
    expect(baseline[table]?.rows, table).toBeGreaterThan(0);
  }
});

describe.each(WRITE_ROUTES.map((r) => [name(r), r] as const))('%s', (_name, route) => {
  test('an unknown field is 400 with a pointer to it', async () => {
    const res = await send(route, { payload: { ...route.valid?.(), unexpectedField: 'x' } });
    const body = expectRefused(res, 400, 'REQUEST_VALIDATION_FAILED');
    expect(pointers(body)).toContain('/body/unexpectedField');
  });

  test('an unknown field named with / and ~ is pointed at with RFC 6901 escapes', async () => {
    const res = await send(route, { payload: { ...route.valid?.(), 'a/b~c': 1 } });
    const body = expectRefused(res, 400, 'REQUEST_VALIDATION_FAILED');
    expect(pointers(body)).toContain('/body/a~1b~0c');
  });

  test.each([
    ['an array', [route.valid?.() ?? {}]],
    ['a string', 'just text'],
    ['a number', 42],
  ])('a body that is %s instead of an object is 400 pointing at /body', async (_what, payload) => {
    const res = await send(route, { payload: JSON.stringify(payload), contentType: 'application/json' });
    const body = expectRefused(res, 400, 'REQUEST_VALIDATION_FAILED');
    expect(pointers(body)).toContain('/body');
  });

  if (route.valid) {
    test('wrong types in every field are 400 with one pointer per field', async () => {
      const schema = bodySchema(route);
      const props = Object.keys(schema.properties).filter((p) => p !== schema.tag);
      expect(props.length).toBeGreaterThan(0);
      const payload = Object.fromEntries(
        props.map((p) => [p, wrongTypeFor(schema.properties[p] as PropertySchema)]),
      );
      if (schema.tag) payload[schema.tag] = route.valid?.()[schema.tag];
      const body = expectRefused(await send(route, { payload }), 400, 'REQUEST_VALIDATION_FAILED');
      for (const p of props) expect(pointers(body), p).toContain(`/body/${p}`);
    });

    test('a text with U+0000 or an unpaired surrogate in any string field is 400, never a database error', async () => {
      const schema = bodySchema(route);
      const strings = Object.entries(schema.properties)
        .filter(([, s]) => s.type === 'string' || (s.anyOf ?? []).some((a) => a.type === 'string'))
        .map(([p]) => p);
      for (const p of strings) {
        for (const bad of ['nul\\u0000here', 'half\\ud800pair']) {
          const valid = JSON.stringify(route.valid?.() ?? {});
          const payload = `${valid.slice(0, -1)}${valid.length > 2 ? ',' : ''}"${p}":"${bad}"}`;
          const res = await send(route, { payload, contentType: 'application/json' });
          expect(res.statusCode, `${p} ${bad} ${res.body}`).toBe(400);
          expectRefused(res, 400);
        }
      }
    });
  }

  if (route.valid && 'name' in (route.valid() ?? {})) {
    test.each([['a\u0007b'], ['\u001b[31m'], ['tab\there'], ['   ']])(
      'a name with a control character or only spaces (%j) is 400 pointing at it',
      async (bad) => {
        const res = await send(route, { payload: { ...route.valid?.(), name: bad } });
        const body = expectRefused(res, 400, 'REQUEST_VALIDATION_FAILED');
        expect(pointers(body)).toContain('/body/name');
      },
    );
  }

  test('a body of 1 MiB + 1 byte is 413', async () => {
    const head = '{"name":"';
    const tail = '"}';
    const payload = `${head}${'a'.repeat(BODY_LIMIT_BYTES + 1 - head.length - tail.length)}${tail}`;
    expect(Buffer.byteLength(payload)).toBe(BODY_LIMIT_BYTES + 1);
    const res = await send(route, { payload, contentType: 'application/json' });
    expectRefused(res, 413, 'REQUEST_BODY_TOO_LARGE');
  });

  test.each([
    ['truncated', '{"name": '],
    ['single quotes', "{'name': 'x'}"],
    ['trailing comma', '{"name": "x",}'],
    ['a bare word', 'hello'],
    ['a prototype-poisoning key', '{"name":"x","__proto__":{"admin":true}}'],
    ['a constructor.prototype key', '{"constructor":{"prototype":{"admin":true}}}'],
  ])('malformed JSON (%s) is 400 REQUEST_JSON_INVALID', async (_what, payload) => {
    const res = await send(route, { payload, contentType: 'application/json' });
    expectRefused(res, 400, 'REQUEST_JSON_INVALID');
  });

  test('a JSON content type with an empty body is 400', async () => {
    expectRefused(await send(route, { payload: '', contentType: 'application/json' }), 400);
  });

  test.each([
    'text/plain',
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
  ])('a body sent as %s is 415', async (contentType) => {
    const payload = JSON.stringify(route.valid?.() ?? { shredSecrets: true });
    const res = await send(route, { payload, contentType });
    expectRefused(res, 415, 'REQUEST_MEDIA_TYPE_UNSUPPORTED');
  });
});

describe('routes that take no body', () => {
  test.each(WRITE_ROUTES.filter((r) => !r.valid).map((r) => [name(r), r] as const))(
    '%s refuses fields it would otherwise ignore (400, pointer per field)',
    async (_name, route) => {
      const res = await send(route, { payload: { shredSecrets: true, reason: 'x' } });
      const body = expectRefused(res, 400, 'REQUEST_VALIDATION_FAILED');
      expect(pointers(body)).toEqual(expect.arrayContaining(['/body/shredSecrets', '/body/reason']));
    },
  );
});

describe('bad identifiers in the path', () => {
  test.each([
    ['GET', '/v1/api-keys/not-a-uuid', 'id'],
    ['DELETE', '/v1/api-keys/not-a-uuid', 'id'],
    ['GET', '/v1/api-keys/0190c0de-7a3b-7c11-9e5f-2a1b3c4d5e6', 'id'],
    ['DELETE', '/v1/api-keys/0190c0de7a3b7c119e5f2a1b3c4d5e6f', 'id'],
    ['GET', '/v1/tenants/123', 'tenant'],
    ['GET', '/v1/webhooks/not-a-uuid', 'id'],
    ['PATCH', '/v1/webhooks/not-a-uuid', 'id'],
    ['POST', '/v1/webhooks/0190c0de-7a3b-7c11-9e5f-2a1b3c4d5e6f/deliveries/nope/redeliver', 'deliveryId'],
    ['GET', '/v1/tenants/not-a-uuid', 'tenant'],
  ] as const)('%s %s is 400 pointing at the parameter', async (method, url, param) => {
    const res = await t.app.inject({
      method,
      url,
      headers: bearer(url.startsWith('/v1/tenants') ? PLATFORM_KEY : tenant.adminKey),
    });
    const body = expectRefused(res, 400, 'REQUEST_VALIDATION_FAILED');
    expect(pointers(body)).toContain(`/params/${param}`);
  });

  const badSlugs = ['Bad_Slug!', 'UPPER', '-leading', 'trailing-', 'dots.in.it', 'a%20b', 'x'.repeat(64)];
  const orgRoutes = WRITE_ROUTES.filter((r) => r.path.includes('{org}')).concat([
    { method: 'GET' as Method, path: '/v1/orgs/{org}' },
  ]);
  test.each(orgRoutes.flatMap((r) => badSlugs.map((slug) => [r.method, r.path, slug, r] as const)))(
    '%s %s with the org %j is a 400 or 404 problem',
    async (_method, _path, slug, route) => {
      const res = await t.app.inject({
        method: route.method,
        url: route.path.replace('{org}', slug).replace('{number}', '1'),
        headers: bearer(keyFor(route)),
        ...(route.valid ? { payload: route.valid() } : {}),
      });
      expect([400, 404], res.body).toContain(res.statusCode);
      expectRefused(res, res.statusCode);
    },
  );

  test('a path that is not validly percent-encoded is a 400 problem with a request id', async () => {
    for (const url of ['/v1/orgs/%E0%A4%A', '/v1/orgs/%zz', '/v1/api-keys/%']) {
      const res = await t.app.inject({ method: 'GET', url, headers: bearer(tenant.adminKey) });
      expectRefused(res, 400, 'REQUEST_URL_INVALID');
    }
  });

  test('a path parameter longer than any identifier is a 4xx problem with a request id', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${'a'.repeat(300)}`,
      headers: bearer(tenant.adminKey),
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    expectRefused(res, res.statusCode);
  });

  test.each([
    ['POST', '/v1/orgs', { slug: '01900000-0000-7000-8000-000000000000', name: 'Id-like' }],
    ['PATCH', '/v1/orgs/{org}', { slug: '01900000-0000-7000-8000-000000000000' }],
    ['POST', '/v1/tenants', { slug: '01900000-0000-7000-8000-000000000000', name: 'Id-like' }],
  ] as const)(
    '%s %s refuses a slug shaped like a UUID (it could never be found by it)',
    async (method, path, payload) => {
      const res = await t.app.inject({
        method,
        url: path.replace('{org}', org.id),
        headers: bearer(path === '/v1/tenants' ? PLATFORM_KEY : tenant.adminKey),
        payload,
      });
      const body = expectRefused(res, 400);
      expect(pointers(body)).toContain('/body/slug');
    },
  );
});

describe('bad query strings', () => {
  const enc = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
  const someId = '01900000-0000-7000-8000-000000000000';

  describe.each(LIST_ROUTES.map((r) => [r.url, r] as const))('%s', (url, route) => {
    const get = (query: string) =>
      t.app.inject({ method: 'GET', url: `${url}?${query}`, headers: bearer(keyFor(route)) });

    test.each(['0', '201', '-1', '1.5', 'abc', '1e3', ''])('limit=%s is 400', async (limit) => {
      expectRefused(await get(`limit=${limit}`), 400);
    });

    test('limit=1 and limit=200 are accepted', async () => {
      expect((await get('limit=1')).statusCode).toBe(200);
      expect((await get('limit=200')).statusCode).toBe(200);
    });

    test.each([
      ['not base64url', '!!!'],
      ['not JSON', 'abc'],
      ['an object', enc({ a: 1 })],
      ['the wrong arity', enc(['a'])],
      ['the wrong types', enc([1, 2])],
      ['a bad id', enc(['2026-01-01T00:00:00.000Z', 'not-a-uuid'])],
      ['U+0000', enc(['\u0000', someId])],
      ['an overlong value', enc(['x'.repeat(201), someId])],
      ['too long', 'a'.repeat(513)],
    ])('a cursor that is %s is 400', async (_what, cursor) => {
      expectRefused(await get(`cursor=${cursor}`), 400);
    });

    if (route.timeCursor) {
      test.each([
        ['a year JavaScript accepts but SQL does not', '-200000-01-01T00:00:00.000Z'],
        ['a year beyond SQL timestamps', '+275000-01-01T00:00:00.000Z'],
        ['not a time', 'yesterday'],
        ['a time in another format', '2026-01-01'],
      ])('a cursor holding %s is 400 PAGINATION_CURSOR_INVALID', async (_what, time) => {
        expectRefused(await get(`cursor=${enc([time, someId])}`), 400, 'PAGINATION_CURSOR_INVALID');
      });
    }

    test('an unknown query parameter is 400 with a pointer to it', async () => {
      const body = expectRefused(await get('sneaky=1'), 400, 'REQUEST_VALIDATION_FAILED');
      expect(pointers(body)).toContain('/querystring/sneaky');
    });
  });

  test.each([
    ['archived=maybe'],
    ['q='],
    [`q=${'x'.repeat(101)}`],
    ['q=%00'],
    ['label=novalue'],
    ['label=BAD=x'],
    ['label=env=%00'],
    [Array.from({ length: 21 }, (_, i) => `label=k${i}=v`).join('&')],
  ])('GET /v1/orgs?%s is 400', async (query) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs?${query}`,
      headers: bearer(tenant.adminKey),
    });
    expectRefused(res, 400);
  });

  test.each(['includeRevoked=2', 'includeRevoked=maybe'])('GET /v1/api-keys?%s is 400', async (query) => {
    const res = await t.app.inject({
      method: 'GET',
      url: `/v1/api-keys?${query}`,
      headers: bearer(tenant.adminKey),
    });
    expectRefused(res, 400);
  });

  test('DELETE /v1/orgs/{org}?shredSecrets=perhaps is 400', async () => {
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/orgs/${org.id}?shredSecrets=perhaps`,
      headers: bearer(tenant.adminKey),
    });
    expectRefused(res, 400, 'REQUEST_VALIDATION_FAILED');
  });
});

describe('bad headers', () => {
  // Settings put whole (PUT …/watch: one boolean, idempotent), revocation and webhook endpoints
  // (configuration of one admin's integration, no concurrent editors to reconcile) take no If-Match;
  // nor do ending console sessions and turning console sign-in off (nothing to reconcile).
  const conditional = WRITE_ROUTES.filter(
    (r) =>
      r.method !== 'POST' &&
      r.path !== '/v1/api-keys/{id}' &&
      !(r.method === 'DELETE' && /^\/v1\/(console-login|console-sessions\/\{id\}|session)$/.test(r.path)) &&
      r.path !== '/v1/orgs/{org}/watch' &&
      !r.path.startsWith('/v1/webhooks'),
  );

  test.each(
    conditional.flatMap((r) =>
      ['3', 'W/3', '"abc"', '"1", "2"', '"-1"'].map((v) => [name(r), v, r] as const),
    ),
  )('%s with If-Match %j is 400 REQUEST_IF_MATCH_INVALID', async (_name, ifMatch, route) => {
    const res = await send(route, {
      headers: { 'if-match': ifMatch },
      ...(route.valid ? { payload: route.valid() } : {}),
    });
    expectRefused(res, 400, 'REQUEST_IF_MATCH_INVALID');
  });

  test('If-Match and a revision in the body that disagree are 400', async () => {
    const res = await t.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${org.id}`,
      headers: { ...bearer(tenant.adminKey), 'if-match': '"1"' },
      payload: { name: 'x', revision: 2 },
    });
    expectRefused(res, 400, 'REQUEST_REVISION_MISMATCH');
  });

  test.each(
    WRITE_ROUTES.filter((r) => r.method === 'POST').flatMap((r) =>
      [' spaced key', 'x'.repeat(256), 'ünïcode'].map((k) => [name(r), k, r] as const),
    ),
  )('%s with Idempotency-Key %j is 400', async (_name, key, route) => {
    const res = await send(route, {
      headers: { 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') },
      payload: route.valid?.(),
    });
    expectRefused(res, 400);
  });
});

describe('values the schema allows but the service refuses', () => {
  test.each([
    ['an expiry in the past', { name: 'k', roles: ['admin'], expiresAt: '2020-01-01T00:00:00Z' }],
    [
      'an org scope naming no org',
      { name: 'k', roles: ['admin'], orgScope: ['01900000-0000-7000-8000-000000000000'] },
    ],
  ])('POST /v1/api-keys with %s is 400', async (_what, payload) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/api-keys',
      headers: bearer(tenant.adminKey),
      payload,
    });
    expectRefused(res, 400);
  });

  test.each([
    ['http', 'http://api-trial.cognigy.ai/new'],
    ['credentials', 'https://user:pw@api-trial.cognigy.ai/new'],
    ['a query', 'https://api-trial.cognigy.ai/new?x=1'],
    ['a fragment', 'https://api-trial.cognigy.ai/new#x'],
    ['no scheme', 'api-trial.cognigy.ai/new'],
    ['another scheme', 'ftp://api-trial.cognigy.ai/new'],
  ])('PUT /v1/orgs/{org}/cognigy with an apiBase with %s is 400', async (_what, apiBase) => {
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/orgs/${org.id}/cognigy`,
      headers: bearer(tenant.adminKey),
      payload: { apiBase, apiKey: 'replacement-key-123' },
    });
    const body = expectRefused(res, 400, 'COGNIGY_API_BASE_INVALID');
    expect(pointers(body)).toContain('/body/apiBase');
  });
});
