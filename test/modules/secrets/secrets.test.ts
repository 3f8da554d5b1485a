/**
 * Envelope encryption against a real database (§8): the Cognigy API key set through the API comes
 * back only for its own org; ciphertexts or wrapped data keys moved between orgs or tenants by
 * someone with database access fail to decrypt instead of yielding another org's secret;
 * fingerprints are keyed per tenant; shredding the data key makes the secret unrecoverable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CryptoError } from '../../../src/modules/crypto/crypto-error.js';
import { ORG_KEY_CACHE_MS } from '../../../src/modules/secrets/secrets.service.js';
import {
  bearer,
  createOrg,
  createTenant,
  createTestApp,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';

const API_BASE = 'https://api-trial.cognigy.ai/new';

let t: TestApp;
let tenantA: TenantFixture;
let tenantB: TenantFixture;

beforeAll(async () => {
  t = await createTestApp({}, 'secrets');
  tenantA = await createTenant(t.app);
  tenantB = await createTenant(t.app);
});

afterAll(async () => {
  await t?.close();
});

let orgCounter = 0;

/** Creates an org in `tenant` and sets its Cognigy API key through the API; returns its id and fingerprint. */
async function orgWithKey(tenant: TenantFixture, apiKey: string) {
  orgCounter += 1;
  const org = await createOrg(t.app, tenant.adminKey, `org-${orgCounter}`);
  const fingerprint = await putKey(tenant, org.id, apiKey);
  return { id: org.id, fingerprint };
}

async function putKey(tenant: TenantFixture, orgId: string, apiKey: string): Promise<string> {
  const res = await t.app.inject({
    method: 'PUT',
    url: `/v1/orgs/${orgId}/cognigy`,
    headers: bearer(tenant.adminKey),
    payload: { apiBase: API_BASE, apiKey, organisationId: 'cognigy-org-1' },
  });
  expect(res.statusCode, res.body).toBe(200);
  expect(res.body).not.toContain(apiKey);
  const fingerprint = res.json().cognigy.apiKey.fingerprint as string;
  expect(fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
  return fingerprint;
}

const load = (tenant: TenantFixture, orgId: string) =>
  t.container.orgs.loadCognigyCredentials(tenant.id, orgId);

/** The CryptoError that loading the org's credentials throws (fails the test if it returns). */
async function loadFails(tenant: TenantFixture, orgId: string): Promise<CryptoError> {
  let result: unknown;
  try {
    result = await load(tenant, orgId);
  } catch (error) {
    expect(error).toBeInstanceOf(CryptoError);
    return error as CryptoError;
  }
  throw new Error(`expected a CryptoError, but the credentials were returned: ${JSON.stringify(result)}`);
}

const sql = (text: string, values: unknown[] = []) => t.database.pool.query(text, values);

async function sealedOf(orgId: string): Promise<string> {
  const { rows } = await sql('SELECT api_key_sealed FROM cognigy_targets WHERE org_id = $1', [orgId]);
  return rows[0].api_key_sealed;
}

describe('secrets at rest', () => {
  it('stores the Cognigy API key sealed and decrypts it back for its own org', async () => {
    const apiKey = 'cognigy-key-roundtrip-0001';
    const org = await orgWithKey(tenantA, apiKey);
    const stored = await sealedOf(org.id);
    expect(stored).toMatch(/^v1\./);
    expect(stored).not.toContain(apiKey);
    expect(await load(tenantA, org.id)).toEqual({
      apiBase: API_BASE,
      apiKey,
      organisationId: 'cognigy-org-1',
    });
  });

  it('never lets the plaintext key reach any row of any table, nor a log line', async () => {
    const apiKey = 'cognigy-key-needle-7f3a9c';
    await orgWithKey(tenantA, apiKey);
    const { rows: tables } = await sql(
      `SELECT table_name FROM information_schema.tables
        WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`,
    );
    expect(tables.length).toBeGreaterThan(5);
    for (const { table_name: table } of tables) {
      const { rows } = await sql(
        `SELECT count(*)::int AS n FROM "${table}" r WHERE r::text LIKE '%' || $1 || '%'`,
        [apiKey],
      );
      expect(rows[0].n, table).toBe(0);
    }
    expect(t.logs.join('\n')).not.toContain(apiKey);
  });

  it('refuses ciphertexts swapped between two orgs of a tenant, never returning the other org’s key', async () => {
    const one = await orgWithKey(tenantA, 'cognigy-key-swap-one');
    const two = await orgWithKey(tenantA, 'cognigy-key-swap-two');
    await sql(
      `UPDATE cognigy_targets SET api_key_sealed = CASE org_id WHEN $1::uuid THEN $3 ELSE $4 END
        WHERE org_id IN ($1::uuid, $2::uuid)`,
      [one.id, two.id, await sealedOf(two.id), await sealedOf(one.id)],
    );
    expect((await loadFails(tenantA, one.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
    expect((await loadFails(tenantA, two.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('refuses wrapped data keys swapped between two orgs', async () => {
    const one = await orgWithKey(tenantA, 'cognigy-key-dk-one');
    const two = await orgWithKey(tenantA, 'cognigy-key-dk-two');
    const { rows } = await sql('SELECT org_id, wrapped_key FROM org_data_keys WHERE org_id IN ($1, $2)', [
      one.id,
      two.id,
    ]);
    expect(rows).toHaveLength(2);
    const wrapped = new Map(rows.map((r) => [r.org_id as string, r.wrapped_key as string]));
    expect(wrapped.get(one.id)).not.toBe(wrapped.get(two.id));
    await sql(
      `UPDATE org_data_keys SET wrapped_key = CASE org_id WHEN $1::uuid THEN $3 ELSE $4 END
        WHERE org_id IN ($1::uuid, $2::uuid)`,
      [one.id, two.id, wrapped.get(two.id), wrapped.get(one.id)],
    );
    expect((await loadFails(tenantA, one.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
    expect((await loadFails(tenantA, two.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('refuses an org whose ciphertext and wrapped data key were both swapped with another org’s', async () => {
    const one = await orgWithKey(tenantA, 'cognigy-key-both-one');
    const two = await orgWithKey(tenantA, 'cognigy-key-both-two');
    for (const [table, column] of [
      ['cognigy_targets', 'api_key_sealed'],
      ['org_data_keys', 'wrapped_key'],
    ] as const) {
      await sql(
        `UPDATE ${table} t SET ${column} = o.${column}
           FROM ${table} o
          WHERE t.org_id IN ($1::uuid, $2::uuid) AND o.org_id IN ($1::uuid, $2::uuid) AND o.org_id <> t.org_id`,
        [one.id, two.id],
      );
    }
    expect((await loadFails(tenantA, one.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
    expect((await loadFails(tenantA, two.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('refuses a ciphertext copied to an org of another tenant', async () => {
    const source = await orgWithKey(tenantA, 'cognigy-key-of-tenant-a');
    const target = await orgWithKey(tenantB, 'cognigy-key-of-tenant-b');
    await sql('UPDATE cognigy_targets SET api_key_sealed = $1 WHERE org_id = $2', [
      await sealedOf(source.id),
      target.id,
    ]);
    expect((await loadFails(tenantB, target.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
    expect((await load(tenantA, source.id))?.apiKey).toBe('cognigy-key-of-tenant-a');
  });

  it('refuses a wrapped data key copied to an org of another tenant', async () => {
    const source = await orgWithKey(tenantA, 'cognigy-key-dk-tenant-a');
    const target = await orgWithKey(tenantB, 'cognigy-key-dk-tenant-b');
    const { rows } = await sql('SELECT wrapped_key FROM org_data_keys WHERE org_id = $1', [source.id]);
    await sql('UPDATE org_data_keys SET wrapped_key = $1 WHERE org_id = $2', [
      rows[0].wrapped_key,
      target.id,
    ]);
    expect((await loadFails(tenantB, target.id)).code).toBe('CRYPTO_DECRYPT_FAILED');
  });

  it('finds no credentials of an org through another tenant', async () => {
    const org = await orgWithKey(tenantA, 'cognigy-key-not-for-b');
    expect(await load(tenantB, org.id)).toBeNull();
  });

  it('gives the same secret the same fingerprint within a tenant, across orgs and updates', async () => {
    const one = await orgWithKey(tenantA, 'cognigy-key-shared-secret');
    const two = await orgWithKey(tenantA, 'cognigy-key-shared-secret');
    expect(two.fingerprint).toBe(one.fingerprint);
    expect(await putKey(tenantA, one.id, 'cognigy-key-shared-secret')).toBe(one.fingerprint);
    // the ciphertexts differ all the same (fresh IV, own data key)
    expect(await sealedOf(one.id)).not.toBe(await sealedOf(two.id));
  });

  it('gives the same secret different fingerprints in different tenants', async () => {
    const inA = await orgWithKey(tenantA, 'cognigy-key-cross-tenant');
    const inB = await orgWithKey(tenantB, 'cognigy-key-cross-tenant');
    expect(inB.fingerprint).not.toBe(inA.fingerprint);
  });

  it('changes the fingerprint when the secret changes, and decrypts the new secret', async () => {
    const org = await orgWithKey(tenantA, 'cognigy-key-before-change');
    const after = await putKey(tenantA, org.id, 'cognigy-key-after-change');
    expect(after).not.toBe(org.fingerprint);
    expect((await load(tenantA, org.id))?.apiKey).toBe('cognigy-key-after-change');
  });

  it('keeps the sealed key when the target is updated without an apiKey', async () => {
    const org = await orgWithKey(tenantA, 'cognigy-key-kept-on-update');
    const before = await sealedOf(org.id);
    const res = await t.app.inject({
      method: 'PUT',
      url: `/v1/orgs/${org.id}/cognigy`,
      headers: bearer(tenantA.adminKey),
      payload: { apiBase: 'https://cognigy.example.com/api' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().cognigy.apiKey.fingerprint).toBe(org.fingerprint);
    expect(await sealedOf(org.id)).toBe(before);
    expect(await load(tenantA, org.id)).toMatchObject({
      apiBase: 'https://cognigy.example.com/api',
      apiKey: 'cognigy-key-kept-on-update',
    });
  });

  it('makes the secret unrecoverable when the org is archived with shredSecrets=true, keeping its fingerprint', async () => {
    const org = await orgWithKey(tenantA, 'cognigy-key-to-shred');
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/orgs/${org.id}?shredSecrets=true`,
      headers: bearer(tenantA.adminKey),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().archivedAt).not.toBeNull();
    const { rows } = await sql('SELECT count(*)::int AS n FROM org_data_keys WHERE org_id = $1', [org.id]);
    expect(rows[0].n).toBe(0);
    expect((await loadFails(tenantA, org.id)).code).toBe('CRYPTO_DATA_KEY_MISSING');

    const view = await t.app.inject({
      method: 'GET',
      url: `/v1/orgs/${org.id}`,
      headers: bearer(tenantA.adminKey),
    });
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json().cognigy.apiKey).toEqual({ set: false, fingerprint: org.fingerprint });
  });

  it('refuses at once after a shred even when the data key was just used (and cached) by this process', async () => {
    const org = await orgWithKey(tenantA, 'cognigy-key-cached-then-shredded');
    expect((await load(tenantA, org.id))?.apiKey).toBe('cognigy-key-cached-then-shredded');
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/orgs/${org.id}?shredSecrets=true`,
      headers: bearer(tenantA.adminKey),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await loadFails(tenantA, org.id)).code).toBe('CRYPTO_DATA_KEY_MISSING');
  });

  it('a shred by another process reaches this one within ORG_KEY_CACHE_MS (the documented bound)', async () => {
    const org = await orgWithKey(tenantA, 'cognigy-key-shredded-elsewhere');
    expect((await load(tenantA, org.id))?.apiKey).toBe('cognigy-key-shredded-elsewhere');
    const shreddedAt = Date.now();
    await sql('DELETE FROM org_data_keys WHERE org_id = $1', [org.id]);
    let refused: CryptoError | undefined;
    while (!refused && Date.now() - shreddedAt < ORG_KEY_CACHE_MS + 2000) {
      refused = await load(tenantA, org.id).then(
        () => undefined,
        (error: unknown) => error as CryptoError,
      );
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(refused?.code).toBe('CRYPTO_DATA_KEY_MISSING');
    expect(Date.now() - shreddedAt).toBeLessThanOrEqual(ORG_KEY_CACHE_MS + 1000);
  });

  it('keeps the secret of an org archived without shredSecrets', async () => {
    const org = await orgWithKey(tenantA, 'cognigy-key-archived-kept');
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/orgs/${org.id}`,
      headers: bearer(tenantA.adminKey),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await load(tenantA, org.id))?.apiKey).toBe('cognigy-key-archived-kept');
  });

  it('shreds only the archived org: the other orgs of the tenant still decrypt', async () => {
    const kept = await orgWithKey(tenantA, 'cognigy-key-neighbour-kept');
    const shredded = await orgWithKey(tenantA, 'cognigy-key-neighbour-shredded');
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/orgs/${shredded.id}?shredSecrets=true`,
      headers: bearer(tenantA.adminKey),
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await load(tenantA, kept.id))?.apiKey).toBe('cognigy-key-neighbour-kept');
    expect((await loadFails(tenantA, shredded.id)).code).toBe('CRYPTO_DATA_KEY_MISSING');
  });
});
