/**
 * Acceptance criterion: every org/key endpoint tried with a key of another tenant returns 404, and
 * with a key lacking the role returns 403; an org-scoped key sees only its orgs.
 *
 * One table lists every org and API-key operation (and the caller's own key, /v1/me); a test proves it is complete against the
 * OpenAPI document, so a new route under /v1/orgs or /v1/api-keys cannot skip these checks.
 */
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
} from '../support/app.js';
import { snapshotDatabase } from '../support/db-snapshot.js';

type Role = 'admin' | 'editor' | 'approver' | 'auditor';
const ROLES: readonly Role[] = ['admin', 'editor', 'approver', 'auditor'];
const ALL: readonly Role[] = ROLES;

/** What a request addresses: a collection, one org (by id or slug), or one API key. */
type Target =
  | { kind: 'collection' }
  | { kind: 'org'; ref: string }
  | { kind: 'key'; id: string }
  | { kind: 'webhook'; id: string; deliveryId: string };

interface Operation {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** As in the OpenAPI document. */
  readonly path: string;
  readonly addresses: 'collection' | 'org' | 'key' | 'webhook';
  readonly roles: readonly Role[];
  /** Refused to org-scoped keys. */
  readonly unscoped: boolean;
  /** A valid body, so that a refusal cannot come from validation. */
  readonly body?: (n: number) => Record<string, unknown>;
  readonly query?: string;
}

const OPERATIONS: readonly Operation[] = [
  {
    method: 'POST',
    path: '/v1/orgs',
    addresses: 'collection',
    roles: ['admin'],
    unscoped: true,
    body: (n) => ({ slug: `made-${n}`, name: `Made ${n}` }),
  },
  { method: 'GET', path: '/v1/orgs', addresses: 'collection', roles: ALL, unscoped: false },
  { method: 'GET', path: '/v1/orgs/{org}', addresses: 'org', roles: ALL, unscoped: false },
  {
    method: 'PATCH',
    path: '/v1/orgs/{org}',
    addresses: 'org',
    roles: ['admin'],
    unscoped: false,
    body: (n) => ({ name: `Hijacked ${n}`, labels: { owner: 'intruder' } }),
  },
  {
    method: 'DELETE',
    path: '/v1/orgs/{org}',
    addresses: 'org',
    roles: ['admin'],
    unscoped: false,
    query: 'shredSecrets=true',
  },
  {
    method: 'PUT',
    path: '/v1/orgs/{org}/cognigy',
    addresses: 'org',
    roles: ['admin'],
    unscoped: false,
    body: () => ({ apiBase: 'https://evil.example.com/new', apiKey: 'intruder-api-key-123' }),
  },
  {
    method: 'POST',
    path: '/v1/api-keys',
    addresses: 'collection',
    roles: ['admin'],
    unscoped: true,
    body: (n) => ({ name: `made ${n}`, roles: ['admin'] }),
  },
  {
    method: 'GET',
    path: '/v1/api-keys',
    addresses: 'collection',
    roles: ['admin', 'auditor'],
    unscoped: true,
  },
  {
    method: 'GET',
    path: '/v1/api-keys/{id}',
    addresses: 'key',
    roles: ['admin', 'auditor'],
    unscoped: true,
  },
  { method: 'DELETE', path: '/v1/api-keys/{id}', addresses: 'key', roles: ['admin'], unscoped: true },
  // The caller's own key: nothing of another tenant to address, every role may ask.
  { method: 'GET', path: '/v1/me', addresses: 'collection', roles: ALL, unscoped: false },
  // SSO versions: alpha has version 1 (a disabled draft), so `{number}` is 1.
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions',
    addresses: 'org',
    roles: ['editor'],
    unscoped: false,
    body: () => ({ kind: 'disabled', baseVersion: 1 }),
  },
  { method: 'GET', path: '/v1/orgs/{org}/sso/versions', addresses: 'org', roles: ALL, unscoped: false },
  {
    method: 'GET',
    path: '/v1/orgs/{org}/sso/versions/{number}',
    addresses: 'org',
    roles: ALL,
    unscoped: false,
  },
  {
    method: 'GET',
    path: '/v1/orgs/{org}/sso/versions/{number}/diff',
    addresses: 'org',
    roles: ALL,
    unscoped: false,
    query: 'against=1',
  },
  {
    method: 'GET',
    path: '/v1/orgs/{org}/sso/versions/{number}/cognigy-request',
    addresses: 'org',
    roles: ALL,
    unscoped: false,
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/validate',
    addresses: 'org',
    roles: ['editor', 'approver'],
    unscoped: false,
    body: () => ({}),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/approve',
    addresses: 'org',
    roles: ['approver'],
    unscoped: false,
    body: () => ({ comment: 'intruder approves' }),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/reject',
    addresses: 'org',
    roles: ['approver'],
    unscoped: false,
    body: () => ({ comment: 'intruder rejects' }),
  },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/sso/versions/{number}/rollback',
    addresses: 'org',
    roles: ['editor'],
    unscoped: false,
    body: () => ({}),
  },
  { method: 'GET', path: '/v1/orgs/{org}/sso', addresses: 'org', roles: ALL, unscoped: false },
  // Deployments: alpha's version 1 is approved, so it has one (pending: no worker runs here).
  { method: 'GET', path: '/v1/orgs/{org}/deployments', addresses: 'org', roles: ALL, unscoped: false },
  { method: 'GET', path: '/v1/orgs/{org}/deployments/{id}', addresses: 'org', roles: ALL, unscoped: false },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/deployments/{id}/retry',
    addresses: 'org',
    roles: ['approver'],
    unscoped: false,
  },
  // The watch: another tenant's or another scope's org is 404 for its findings and its check.
  { method: 'GET', path: '/v1/orgs/{org}/findings', addresses: 'org', roles: ALL, unscoped: false },
  {
    method: 'POST',
    path: '/v1/orgs/{org}/watch/run',
    addresses: 'org',
    roles: ['editor', 'approver', 'admin'],
    unscoped: false,
  },
  { method: 'GET', path: '/v1/orgs/{org}/watch', addresses: 'org', roles: ALL, unscoped: false },
  {
    method: 'PUT',
    path: '/v1/orgs/{org}/watch',
    addresses: 'org',
    roles: ['admin'],
    unscoped: false,
    body: () => ({ credentialProbe: true }),
  },
  // Webhook endpoints belong to the tenant (admin; auditors read): refused to org-scoped keys.
  {
    method: 'POST',
    path: '/v1/webhooks',
    addresses: 'collection',
    roles: ['admin'],
    unscoped: true,
    body: (n) => ({ url: `https://hooks.example.com/made-${n}` }),
  },
  {
    method: 'GET',
    path: '/v1/webhooks',
    addresses: 'collection',
    roles: ['admin', 'auditor'],
    unscoped: true,
  },
  {
    method: 'GET',
    path: '/v1/webhooks/{id}',
    addresses: 'webhook',
    roles: ['admin', 'auditor'],
    unscoped: true,
  },
  {
    method: 'PATCH',
    path: '/v1/webhooks/{id}',
    addresses: 'webhook',
    roles: ['admin'],
    unscoped: true,
    body: (n) => ({ url: `https://intruder.example.com/${n}` }),
  },
  { method: 'DELETE', path: '/v1/webhooks/{id}', addresses: 'webhook', roles: ['admin'], unscoped: true },
  {
    method: 'POST',
    path: '/v1/webhooks/{id}/rotate-secret',
    addresses: 'webhook',
    roles: ['admin'],
    unscoped: true,
  },
  { method: 'POST', path: '/v1/webhooks/{id}/test', addresses: 'webhook', roles: ['admin'], unscoped: true },
  {
    method: 'GET',
    path: '/v1/webhooks/{id}/deliveries',
    addresses: 'webhook',
    roles: ['admin', 'auditor'],
    unscoped: true,
  },
  {
    method: 'POST',
    path: '/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver',
    addresses: 'webhook',
    roles: ['admin'],
    unscoped: true,
  },
];

const nameOf = (op: Operation) => `${op.method} ${op.path}`;

let t: TestApp;
let tenantA: TenantFixture;
let tenantB: TenantFixture;
/** Tenant A's orgs. alpha has a Cognigy target. */
let alpha: { id: string; slug: string };
let beta: { id: string; slug: string };
/** Tenant A's webhook endpoint (and one of its deliveries) that the webhook operations aim at. */
let hookA: { id: string; deliveryId: string };
/** A key of tenant A that the key operations aim at. */
let victimKey: { id: string; token: string };
/** Tenant B's key with every role: what refuses it on tenant A's resources is the tenant, never a role. */
let tenantBAll: string;
/** The deployment of alpha's approved version 1. */
let alphaDeploymentId: string;
/** Single-role keys of tenant A. */
const roleKeys = {} as Record<Role, string>;
let counter = 0;

function urlOf(op: Operation, target: Target): string {
  let url = op.path;
  if (target.kind === 'org') {
    url = url
      .replace('{org}', encodeURIComponent(target.ref))
      .replace('{number}', '1')
      .replace('{id}', alphaDeploymentId);
  }
  if (target.kind === 'key') url = url.replace('{id}', target.id);
  if (target.kind === 'webhook')
    url = url.replace('{id}', target.id).replace('{deliveryId}', target.deliveryId);
  return op.query ? `${url}?${op.query}` : url;
}

function call(op: Operation, key: string, target: Target): Promise<LightMyRequestResponse> {
  counter += 1;
  return t.app.inject({
    method: op.method,
    url: urlOf(op, target),
    headers: bearer(key),
    ...(op.body ? { payload: op.body(counter) } : {}),
  });
}

/** A target of tenant A for an operation (by id unless told otherwise). */
function targetOfA(op: Operation, by: 'id' | 'slug' = 'id'): Target {
  if (op.addresses === 'org') return { kind: 'org', ref: by === 'id' ? alpha.id : alpha.slug };
  if (op.addresses === 'key') return { kind: 'key', id: victimKey.id };
  if (op.addresses === 'webhook') return { kind: 'webhook', ...hookA };
  return { kind: 'collection' };
}

async function expectUnchanged<T>(work: () => Promise<T>): Promise<T> {
  const before = await snapshotDatabase(t.database.pool);
  const result = await work();
  expect(await snapshotDatabase(t.database.pool)).toEqual(before);
  return result;
}

beforeAll(async () => {
  // As the service's runtime role (issue 21): every route works with only its privileges.
  t = await createTestApp({}, 'tenancy', {}, { roles: true });
  tenantA = await createTenant(t.app);
  tenantB = await createTenant(t.app);
  alpha = await createOrg(t.app, tenantA.adminKey, 'alpha', { env: 'prod' });
  beta = await createOrg(t.app, tenantA.adminKey, 'beta', { env: 'prod' });
  await createOrg(t.app, tenantB.adminKey, 'b-own', { env: 'prod' });
  const put = await t.app.inject({
    method: 'PUT',
    url: `/v1/orgs/${alpha.id}/cognigy`,
    headers: bearer(tenantA.adminKey),
    payload: { apiBase: 'https://api-trial.cognigy.ai/new', apiKey: 'alpha-cognigy-key-1' },
  });
  expect(put.statusCode).toBe(200);
  victimKey = await createKey(t.app, tenantA.adminKey, ['editor']);
  tenantBAll = (await createKey(t.app, tenantB.adminKey, [...ROLES])).token;
  const draft = await t.app.inject({
    method: 'POST',
    url: `/v1/orgs/${alpha.id}/sso/versions`,
    headers: bearer(victimKey.token),
    payload: { kind: 'disabled', baseVersion: 0 },
  });
  expect(draft.statusCode, draft.body).toBe(201);
  const approverA = (await createKey(t.app, tenantA.adminKey, ['approver'])).token;
  const approved = await t.app.inject({
    method: 'POST',
    url: `/v1/orgs/${alpha.id}/sso/versions/1/approve`,
    headers: bearer(approverA),
    payload: {},
  });
  expect(approved.statusCode, approved.body).toBe(200);
  alphaDeploymentId = (
    await t.database.db
      .selectFrom('deployments')
      .select('id')
      .where('org_id', '=', alpha.id)
      .executeTakeFirstOrThrow()
  ).id;
  for (const role of ROLES) roleKeys[role] = (await createKey(t.app, tenantA.adminKey, [role])).token;
  const hook = await t.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: bearer(tenantA.adminKey),
    payload: { url: 'https://hooks.example.com/tenant-a' },
  });
  expect(hook.statusCode, hook.body).toBe(201);
  const ping = await t.app.inject({
    method: 'POST',
    url: `/v1/webhooks/${hook.json().webhook.id}/test`,
    headers: bearer(tenantA.adminKey),
  });
  expect(ping.statusCode, ping.body).toBe(202);
  hookA = { id: hook.json().webhook.id, deliveryId: ping.json().deliveryId };
});

afterAll(async () => {
  await t?.close();
});

describe('the operation table', () => {
  test('covers every operation registered under /v1/orgs, /v1/api-keys, /v1/me and /v1/webhooks', () => {
    const paths = (t.app.swagger() as { paths: Record<string, Record<string, unknown>> }).paths;
    const documented = Object.entries(paths)
      .filter(([path]) => /^\/v1\/(orgs|api-keys|me|webhooks)(\/|$)/.test(path))
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    expect(documented.length).toBeGreaterThan(0);
    expect(OPERATIONS.map(nameOf).sort()).toEqual(documented);
  });

  test('covers every route Fastify actually serves under those prefixes, documented or not', () => {
    const tree = parseRouteTree(t.app.printRoutes({ commonPrefix: false }));
    // The parser understands nesting: the tree prints /v1/tenants/:tenant as "s" then "/:tenant".
    expect(tree).toContainEqual({ path: '/v1/tenants/:tenant', methods: ['GET', 'HEAD'] });
    const served = tree
      .filter(({ path }) => /^\/v1\/(orgs|api-keys|me|webhooks)(\/|$)/.test(path))
      .flatMap(({ path, methods }) =>
        methods.filter((m) => m !== 'HEAD').map((m) => `${m} ${path.replace(/:(\w+)/g, '{$1}')}`),
      )
      .sort();
    expect(served.length).toBeGreaterThan(0);
    expect(OPERATIONS.map(nameOf).sort()).toEqual(served);
  });
});

/**
 * Reads Fastify's route tree (`printRoutes({ commonPrefix: false })`): each line is a path segment
 * appended to its parent's, indented four characters per level, with its methods in parentheses.
 */
function parseRouteTree(tree: string): Array<{ path: string; methods: string[] }> {
  const routes: Array<{ path: string; methods: string[] }> = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (!match) continue;
    const depth = (match[1] ?? '').length / 4;
    stack.length = depth;
    const path = `${stack.join('')}${match[2] ?? ''}`;
    stack.push(match[2] ?? '');
    if (match[3]) routes.push({ path, methods: match[3].split(', ') });
  }
  return routes;
}

describe("another tenant's key gets 404 and changes nothing", () => {
  const addressed = OPERATIONS.filter((op) => op.addresses !== 'collection');

  test.each(addressed.map((op) => [nameOf(op), op] as const))(
    "%s with tenant B's all-roles key on tenant A's resource by id is 404, like a resource that does not exist",
    async (_name, op) => {
      const res = await expectUnchanged(() => call(op, tenantBAll, targetOfA(op, 'id')));
      const body = expectProblem(res, 404);
      const none0 = '01900000-0000-7000-8000-000000000000';
      const missing: Target =
        op.addresses === 'org'
          ? { kind: 'org', ref: none0 }
          : op.addresses === 'webhook'
            ? { kind: 'webhook', id: none0, deliveryId: none0 }
            : { kind: 'key', id: none0 };
      const none = expectProblem(await call(op, tenantBAll, missing), 404);
      expect({ code: body.code, detail: body.detail, title: body.title }).toEqual({
        code: none.code,
        detail: none.detail,
        title: none.title,
      });
    },
  );

  test.each(addressed.filter((op) => op.addresses === 'org').map((op) => [nameOf(op), op] as const))(
    "%s with tenant B's all-roles key on tenant A's org by slug is 404",
    async (_name, op) => {
      const res = await expectUnchanged(() => call(op, tenantBAll, targetOfA(op, 'slug')));
      expectProblem(res, 404, 'ORG_NOT_FOUND');
    },
  );

  test.each(addressed.map((op) => [nameOf(op), op] as const))(
    "%s on tenant A's resource is 404 for every role of tenant B that may call it",
    async (_name, op) => {
      for (const role of op.roles) {
        const key = (await createKey(t.app, tenantB.adminKey, [role])).token;
        const res = await expectUnchanged(() => call(op, key, targetOfA(op)));
        expectProblem(res, 404);
      }
    },
  );

  test("tenant B's lists never show tenant A's orgs or keys", async () => {
    const orgs = await t.app.inject({
      method: 'GET',
      url: '/v1/orgs?limit=200&label=env=prod',
      headers: bearer(tenantB.adminKey),
    });
    expect(orgs.json().items.map((o: { slug: string }) => o.slug)).toEqual(['b-own']);
    const archived = await t.app.inject({
      method: 'GET',
      url: '/v1/orgs?archived=true',
      headers: bearer(tenantB.adminKey),
    });
    expect(archived.json().items).toEqual([]);
    const searched = await t.app.inject({
      method: 'GET',
      url: '/v1/orgs?q=alpha',
      headers: bearer(tenantB.adminKey),
    });
    expect(searched.json().items).toEqual([]);
    const keys = await t.app.inject({
      method: 'GET',
      url: '/v1/api-keys?limit=200&includeRevoked=true',
      headers: bearer(tenantB.adminKey),
    });
    const ids = keys.json().items.map((k: { id: string }) => k.id);
    expect(ids).toContain(tenantB.adminKeyId);
    expect(ids).not.toContain(tenantA.adminKeyId);
    expect(ids).not.toContain(victimKey.id);
  });

  test("tenant B cannot scope a key to tenant A's org (400) and nothing is created", async () => {
    const res = await expectUnchanged(() =>
      t.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: bearer(tenantB.adminKey),
        payload: { name: 'reach', roles: ['admin'], orgScope: [alpha.id] },
      }),
    );
    expectProblem(res, 400, 'API_KEY_ORG_SCOPE_INVALID');
  });

  test("tenant A's resources are untouched and still work for tenant A", async () => {
    const org = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${alpha.slug}`,
      headers: bearer(tenantA.adminKey),
    });
    expect(org.statusCode).toBe(200);
    expect(org.json().archivedAt).toBeNull();
    expect(org.json().cognigy.apiBase).toBe('https://api-trial.cognigy.ai/new');
    const tenantOfVictim = await t.app.inject({
      method: 'GET',
      url: '/v1/tenant',
      headers: bearer(victimKey.token),
    });
    expect(tenantOfVictim.json().id).toBe(tenantA.id);
  });
});

describe('a key lacking the role gets 403 and changes nothing', () => {
  const cases = OPERATIONS.flatMap((op) =>
    ROLES.filter((role) => !op.roles.includes(role)).map((role) => [nameOf(op), role, op] as const),
  );

  test('the table names at least one refused role for every write', () => {
    for (const op of OPERATIONS.filter((o) => o.method !== 'GET')) {
      expect(
        cases.some(([name]) => name === nameOf(op)),
        nameOf(op),
      ).toBe(true);
    }
  });

  test.each(cases)('%s with a key holding only %s is 403', async (_name, role, op) => {
    const res = await expectUnchanged(() => call(op, roleKeys[role], targetOfA(op)));
    expectProblem(res, 403, 'AUTH_ROLE_REQUIRED');
  });

  test.each(
    OPERATIONS.filter((op) => op.method === 'GET').flatMap((op) =>
      op.roles.map((role) => [nameOf(op), role, op] as const),
    ),
  )('%s with a key holding only %s is allowed', async (_name, role, op) => {
    const res = await call(op, roleKeys[role], targetOfA(op));
    expect(res.statusCode, res.body).toBe(200);
  });

  test('a key holding several roles gets what any of them allows', async () => {
    const key = (await createKey(t.app, tenantA.adminKey, ['editor', 'auditor'])).token;
    const list = await t.app.inject({ method: 'GET', url: '/v1/api-keys', headers: bearer(key) });
    expect(list.statusCode).toBe(200);
    const create = await expectUnchanged(() =>
      t.app.inject({
        method: 'POST',
        url: '/v1/api-keys',
        headers: bearer(key),
        payload: { name: 'x', roles: ['admin'] },
      }),
    );
    expectProblem(create, 403, 'AUTH_ROLE_REQUIRED');
  });
});

describe('an org-scoped key sees only its orgs', () => {
  let scopedAdmin: string;
  let scopedAuditor: string;

  beforeAll(async () => {
    // Every role, so that what refuses an org outside the scope is the scope, never a missing role.
    scopedAdmin = (await createKey(t.app, tenantA.adminKey, [...ROLES], [alpha.id])).token;
    scopedAuditor = (await createKey(t.app, tenantA.adminKey, ['auditor'], [alpha.id])).token;
  });

  test('the list shows only the orgs in scope, whatever the filters', async () => {
    for (const query of ['', '?label=env=prod', '?q=a', '?limit=1']) {
      for (const key of [() => scopedAdmin, () => scopedAuditor]) {
        const res = await t.app.inject({ method: 'GET', url: `/v1/orgs${query}`, headers: bearer(key()) });
        expect(res.statusCode).toBe(200);
        expect(
          res.json().items.map((o: { id: string }) => o.id),
          query,
        ).toEqual([alpha.id]);
        expect(res.json().nextCursor).toBeNull();
      }
    }
  });

  test('archived orgs outside the scope stay invisible too', async () => {
    const gone = await createOrg(t.app, tenantA.adminKey, 'scoped-out-archived');
    const archive = await t.app.inject({
      method: 'DELETE',
      url: `/v1/orgs/${gone.id}`,
      headers: bearer(tenantA.adminKey),
    });
    expect(archive.statusCode).toBe(200);
    const res = await t.app.inject({
      method: 'GET',
      url: '/v1/orgs?archived=true',
      headers: bearer(scopedAdmin),
    });
    expect(res.json().items).toEqual([]);
    expectProblem(
      await t.app.inject({ method: 'GET', url: `/v1/orgs/${gone.id}`, headers: bearer(scopedAdmin) }),
      404,
      'ORG_NOT_FOUND',
    );
  });

  test.each(
    OPERATIONS.filter((op) => op.addresses === 'org').flatMap((op) =>
      (['id', 'slug'] as const).map((by) => [nameOf(op), by, op] as const),
    ),
  )('%s on an org outside the scope (by %s) is 404 and changes nothing', async (_name, by, op) => {
    const target: Target = { kind: 'org', ref: by === 'id' ? beta.id : beta.slug };
    const res = await expectUnchanged(() => call(op, scopedAdmin, target));
    expectProblem(res, 404, 'ORG_NOT_FOUND');
  });

  test.each(OPERATIONS.filter((op) => op.unscoped).map((op) => [nameOf(op), op] as const))(
    '%s is 403 for an org-scoped admin key and changes nothing',
    async (_name, op) => {
      const res = await expectUnchanged(() => call(op, scopedAdmin, targetOfA(op)));
      expectProblem(res, 403, 'AUTH_ORG_SCOPED_KEY');
    },
  );

  test('changing tenant settings is 403 for an org-scoped admin key', async () => {
    const res = await expectUnchanged(() =>
      t.app.inject({
        method: 'PATCH',
        url: '/v1/tenant',
        headers: bearer(scopedAdmin),
        payload: { name: 'Mine' },
      }),
    );
    expectProblem(res, 403, 'AUTH_ORG_SCOPED_KEY');
  });

  test('the orgs in scope can be read and changed by id and by slug', async () => {
    const byId = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${alpha.id}`,
      headers: bearer(scopedAuditor),
    });
    expect(byId.statusCode).toBe(200);
    const bySlug = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${alpha.slug}`,
      headers: bearer(scopedAdmin),
    });
    expect(bySlug.json().id).toBe(alpha.id);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/orgs/${alpha.slug}`,
      headers: bearer(scopedAdmin),
      payload: { labels: { env: 'prod', touched: 'yes' } },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json().labels).toEqual({ env: 'prod', touched: 'yes' });
  });
});

describe("a tenant's signed checkpoints", () => {
  test('are listed, exported and verified only for their own tenant', async () => {
    const written = await t.app.inject({
      method: 'POST',
      url: '/v1/audit-events/checkpoints',
      headers: bearer(tenantA.adminKey),
    });
    expect(written.statusCode, written.body).toBe(201);
    const id = written.json().id as string;
    for (const url of ['/v1/audit-events/checkpoints', '/v1/audit-events/checkpoints?format=ndjson']) {
      const mine = await t.app.inject({ method: 'GET', url, headers: bearer(tenantA.adminKey) });
      expect(mine.body).toContain(id);
      const theirs = await t.app.inject({ method: 'GET', url, headers: bearer(tenantB.adminKey) });
      expect(theirs.statusCode).toBe(200);
      expect(theirs.body).not.toContain(id);
      expect(theirs.body).not.toContain(tenantA.id);
    }
    const verified = await t.app.inject({
      method: 'GET',
      url: '/v1/audit-events/verify',
      headers: bearer(tenantB.adminKey),
    });
    expect(verified.json()).toMatchObject({ ok: true, chain: tenantB.id });
    expect(verified.body).not.toContain(tenantA.id);
  });
});
