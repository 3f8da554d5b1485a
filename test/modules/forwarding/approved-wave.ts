/**
 * For the forwarding tests that run a worker in the test app: `count` orgs of a new tenant on one
 * fake Cognigy installation, each given an approved SAML version by one bulk draft and one bulk
 * approval (each deployment enqueued with its approval).
 */
import { expect } from 'vitest';
import { createKey, createOrg, createTenant, type TestApp } from '../../support/app.js';
import type { FakeCognigy } from '../../support/fake-cognigy.js';
import { samlDraft } from '../sso-versions/sso-support.js';

/** @returns the tenant's id and the orgs' ids, in the order they were created */
export async function approvedWave(
  t: TestApp,
  fake: FakeCognigy,
  wave: string,
  count: number,
): Promise<{ tenantId: string; orgIds: string[] }> {
  const tenant = await createTenant(t.app);
  const editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  const approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  const orgIds: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const org = await createOrg(t.app, tenant.adminKey, `${wave}-${i}`, { wave });
    const apiKey = `cognigy-key-${wave}-${i}-0123456789abcdef`;
    fake.addKey(apiKey, org.id);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/orgs/${org.id}/cognigy`,
      headers: { authorization: `Bearer ${tenant.adminKey}` },
      payload: { apiBase: fake.apiBase, apiKey },
    });
    expect(res.statusCode, res.body).toBe(200);
    orgIds.push(org.id);
  }
  const bulk = (url: string, key: string, payload: object) =>
    t.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${key}` }, payload });
  const drafted = await bulk('/v1/sso/bulk', editor, {
    selector: { labels: { wave } },
    change: (({ decryptionPrivateKey: _key, ...withoutKey }) => withoutKey)(samlDraft()),
  });
  expect(drafted.json().summary).toMatchObject({ succeeded: count });
  const approved = await bulk('/v1/sso/bulk/approve', approver, { bulkId: drafted.json().bulkId });
  expect(approved.json().summary).toMatchObject({ succeeded: count });
  return { tenantId: tenant.id, orgIds };
}
