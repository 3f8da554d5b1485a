/**
 * GET /v1/me tells a client which key it holds: id, name, roles, org scope. Never the key itself.
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

let t: TestApp;
let tenant: TenantFixture;

const me = (key?: string) =>
  t.app.inject({ method: 'GET', url: '/v1/me', headers: key === undefined ? {} : bearer(key) });

beforeAll(async () => {
  t = await createTestApp({}, 'me');
  tenant = await createTenant(t.app);
});
afterAll(async () => t?.close());

describe('GET /v1/me', () => {
  test("answers the calling key's id, name, tenant, roles and org scope", async () => {
    const res = await me(tenant.adminKey);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      id: tenant.adminKeyId,
      name: 'first admin',
      keyId: tenant.adminKeyId,
      person: null,
      tenantId: tenant.id,
      roles: ['admin'],
      orgScope: null,
    });
  });

  test('names each role of a key with several, and the org scope of a scoped key', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'scoped-org');
    const key = await createKey(t.app, tenant.adminKey, ['approver', 'auditor'], [org.id]);
    const body = (await me(key.token)).json();
    expect(body).toMatchObject({ id: key.id, tenantId: tenant.id, orgScope: [org.id] });
    expect([...body.roles].sort()).toEqual(['approver', 'auditor']);
  });

  test('every tenant role may ask; the answer never contains the key itself', async () => {
    for (const role of ['admin', 'editor', 'approver', 'auditor']) {
      const key = await createKey(t.app, tenant.adminKey, [role]);
      const res = await me(key.token);
      expect(res.statusCode, role).toBe(200);
      expect(res.json().id).toBe(key.id);
      expect(res.body).not.toContain(key.token);
      // The secret part is the last 43 characters (the prefix may itself contain '_').
      expect(res.body).not.toContain(key.token.slice(-43));
    }
  });

  test("a key of another tenant is told its own identity, never this tenant's", async () => {
    const other = await createTenant(t.app);
    const body = (await me(other.adminKey)).json();
    expect(body).toMatchObject({ id: other.adminKeyId, tenantId: other.id });
    expect(body.tenantId).not.toBe(tenant.id);
  });

  test('is 401 without a key or with an unknown one, and 403 for the platform admin key', async () => {
    expectProblem(await me(), 401, 'AUTH_UNAUTHENTICATED');
    expectProblem(await me('csso_unknownkey00_nothing'), 401, 'AUTH_UNAUTHENTICATED');
    expectProblem(await me(PLATFORM_KEY), 403, 'AUTH_PLATFORM_KEY_NOT_ALLOWED');
  });

  test('is 401 once the key is revoked', async () => {
    const key = await createKey(t.app, tenant.adminKey, ['auditor']);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/api-keys/${key.id}`,
      headers: bearer(tenant.adminKey),
    });
    expect(revoke.statusCode).toBe(200);
    expectProblem(await me(key.token), 401, 'AUTH_UNAUTHENTICATED');
  });
});
