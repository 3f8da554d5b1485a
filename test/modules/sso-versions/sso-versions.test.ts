/**
 * SSO versions beyond the happy story: concurrency and gap-free numbering, immutability in the
 * database, secret carry-over and re-binding, and the refusals of drafting, review and rollback.
 * No IdP here: outbound requests are refused, so OIDC drafts carry a failing report (which is
 * itself what several tests need).
 */
import { sql as rawSql } from 'kysely';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { versionSecretLocation } from '../../../src/modules/sso-versions/version-secrets.js';
import {
  bearer,
  createKey,
  createOrg,
  createTenant,
  createTestApp,
  expectProblem,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { refuseAllOutbound } from '../../support/outbound.js';
import { samlDraft } from './sso-support.js';

let t: TestApp;
let tenant: TenantFixture;
let editor: string;
let approver: string;
let both: string;

const SECRET_A = 'client-secret-A-0123456789abcdef';
const SECRET_B = 'client-secret-B-fedcba9876543210';
const oidc = (extra: Record<string, unknown> = {}) => ({
  kind: 'oidc',
  idpIssuer: 'https://login.example.com',
  idpClientId: 'cognigy',
  ...extra,
});

const send = (
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  key: string,
  payload?: unknown,
  headers: Record<string, string> = {},
) =>
  t.app.inject({
    method,
    url,
    headers: { ...bearer(key), ...headers },
    ...(payload === undefined ? {} : { payload: payload as object }),
  });

const numbersOf = async (orgId: string) =>
  (
    await t.database.pool.query<{ number: number }>(
      'SELECT number FROM sso_versions WHERE org_id = $1 ORDER BY number',
      [orgId],
    )
  ).rows.map((r) => r.number);

beforeAll(async () => {
  t = await createTestApp({}, 'sso-versions', { outbound: refuseAllOutbound() });
  tenant = await createTenant(t.app);
  editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  approver = (await createKey(t.app, tenant.adminKey, ['approver'])).token;
  both = (await createKey(t.app, tenant.adminKey, ['editor', 'approver'])).token;
});
afterAll(async () => t?.close());

describe('concurrency', () => {
  test('two drafts on the same base at once: exactly one 201 and one 409 naming the current head', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'race-two');
    const url = `/v1/orgs/${org.id}/sso/versions`;
    const results = await Promise.all([
      send('POST', url, editor, { kind: 'disabled', baseVersion: 0, note: 'a' }),
      send('POST', url, editor, { kind: 'disabled', baseVersion: 0, note: 'b' }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([201, 409]);
    const conflict = expectProblem(
      results.find((r) => r.statusCode === 409) as never,
      409,
      'SSO_BASE_VERSION_STALE',
    );
    expect(conflict).toMatchObject({ headVersion: 1, current: { number: 1 } });
    expect(await numbersOf(org.id)).toEqual([1]);
  });

  test('50 concurrent drafts on 50 orgs all succeed', async () => {
    const orgs = await Promise.all(
      Array.from({ length: 50 }, (_v, i) => createOrg(t.app, tenant.adminKey, `par-${i}`)),
    );
    const results = await Promise.all(
      orgs.map((o) =>
        send('POST', `/v1/orgs/${o.id}/sso/versions`, editor, { ...samlDraft(), baseVersion: 0 }),
      ),
    );
    expect(results.map((r) => r.statusCode)).toEqual(orgs.map(() => 201));
    for (const o of orgs) expect(await numbersOf(o.id)).toEqual([1]);
  });

  test('numbering stays gap-free when writers race and retry on 409', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'race-many');
    const url = `/v1/orgs/${org.id}/sso/versions`;
    let conflicts = 0;
    const writer = async (w: number) => {
      for (let made = 0; made < 3; ) {
        const head = Number(JSON.parse((await send('GET', url, editor)).headers.etag as string));
        const res = await send(
          'POST',
          url,
          editor,
          { kind: 'disabled', note: `w${w}` },
          { 'if-match': `"${head}"` },
        );
        if (res.statusCode === 201) made += 1;
        else if (res.statusCode === 409) conflicts += 1;
        else throw new Error(`${res.statusCode} ${res.body}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_v, w) => writer(w)));
    expect(await numbersOf(org.id)).toEqual(Array.from({ length: 24 }, (_v, i) => i + 1));
    expect(conflicts).toBeGreaterThan(0); // the race really happened
  });
});

describe('immutability in the database', () => {
  let orgId: string;
  beforeAll(async () => {
    orgId = (await createOrg(t.app, tenant.adminKey, 'immutable')).id;
    expect(
      (await send('POST', `/v1/orgs/${orgId}/sso/versions`, editor, { ...samlDraft(), baseVersion: 0 }))
        .statusCode,
    ).toBe(201);
  });

  test.each([
    ['content', `UPDATE sso_versions SET content = '{}' WHERE org_id = $1`],
    ['kind', `UPDATE sso_versions SET kind = 'disabled' WHERE org_id = $1`],
    ['a secret', `UPDATE sso_versions SET decryption_key_sealed = 'x' WHERE org_id = $1`],
    [
      'a client secret’s expiry',
      `UPDATE sso_versions SET client_secret_expires_at = now() WHERE org_id = $1`,
    ],
    ['the author', `UPDATE sso_versions SET created_by_name = 'someone else' WHERE org_id = $1`],
    ['the note', `UPDATE sso_versions SET note = 'rewritten' WHERE org_id = $1`],
    ['delete', `DELETE FROM sso_versions WHERE org_id = $1`],
    ['a validation report', `UPDATE sso_validations SET status = 'pass' WHERE org_id = $1`],
    ['deleting a validation report', `DELETE FROM sso_validations WHERE org_id = $1`],
  ])('changing %s through the service’s own connection is refused', async (_what, sql) => {
    await expect(t.database.pool.query(sql, [orgId])).rejects.toThrow(/immutable|never deleted|append-only/);
    await expect(rawSql.raw(sql.replace('$1', `'${orgId}'`)).execute(t.database.db)).rejects.toThrow();
  });

  test('TRUNCATE is refused', async () => {
    await expect(t.database.pool.query('TRUNCATE sso_versions CASCADE')).rejects.toThrow(/never deleted/);
    await expect(t.database.pool.query('TRUNCATE sso_validations')).rejects.toThrow(/append-only/);
  });

  test('review state only moves forward, and a written review is never rewritten', async () => {
    expect((await send('POST', `/v1/orgs/${orgId}/sso/versions/1/approve`, approver, {})).statusCode).toBe(
      200,
    );
    await expect(
      t.database.pool.query(`UPDATE sso_versions SET review_state = 'draft' WHERE org_id = $1`, [orgId]),
    ).rejects.toThrow(/cannot move from approved to draft/);
    await expect(
      t.database.pool.query(`UPDATE sso_versions SET review_comment = 'forged' WHERE org_id = $1`, [orgId]),
    ).rejects.toThrow(/cannot move|already written/);
  });
});

describe('secrets: carry-over, re-binding, fingerprints', () => {
  test('an omitted secret is carried over, re-sealed for the new version, and shown as the same fingerprint', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'carry');
    const url = `/v1/orgs/${org.id}/sso/versions`;
    const v1 = (
      await send('POST', url, editor, { ...oidc({ idpClientSecret: SECRET_A }), baseVersion: 0 })
    ).json();
    const v2 = (
      await send('POST', url, editor, { ...oidc({ idpClientId: 'other' }), baseVersion: 1 })
    ).json();
    expect(v2.secrets.idpClientSecret).toEqual(v1.secrets.idpClientSecret);
    expect(v2.secrets.idpClientSecret.changedIn).toBe(1);

    const rows = await t.database.db
      .selectFrom('sso_versions')
      .select(['client_secret_sealed as clientSecretSealed'])
      .where('org_id', '=', org.id)
      .orderBy('number', 'asc')
      .execute();
    const [r1, r2] = rows as [(typeof rows)[0], (typeof rows)[0]];
    expect(r2.clientSecretSealed).not.toBe(r1.clientSecretSealed); // not shared: sealed anew
    const open = (n: number, sealed: string) =>
      t.container.secrets.openSecret(
        t.database.db,
        versionSecretLocation(tenant.id, org.id, n, 'idpClientSecret'),
        sealed,
      );
    expect(await open(1, r1.clientSecretSealed as string)).toBe(SECRET_A);
    expect(await open(2, r2.clientSecretSealed as string)).toBe(SECRET_A);
    // v1's ciphertext read as v2's (or the other way round) does not decrypt: each is bound to its row
    await expect(open(2, r1.clientSecretSealed as string)).rejects.toThrow();
    await expect(open(1, r2.clientSecretSealed as string)).rejects.toThrow();

    // a new secret: new fingerprint, changed in v3; the same secret again later: v1's fingerprint
    const v3 = (
      await send('POST', url, editor, { ...oidc({ idpClientSecret: SECRET_B }), baseVersion: 2 })
    ).json();
    expect(v3.secrets.idpClientSecret.fingerprint).not.toBe(v1.secrets.idpClientSecret.fingerprint);
    expect(v3.secrets.idpClientSecret.changedIn).toBe(3);
    const diff = (await send('GET', `${url}/3/diff?against=2`, editor)).json();
    expect(diff.changes).toEqual([
      { field: 'idpClientId', before: 'other', after: 'cognigy', secret: false },
      {
        field: 'idpClientSecret',
        before: v1.secrets.idpClientSecret.fingerprint,
        after: v3.secrets.idpClientSecret.fingerprint,
        secret: true,
      },
    ]);
    expect(diff.summary[1]).toContain('(changed in v3)');
    const v4 = (
      await send('POST', url, editor, { ...oidc({ idpClientSecret: SECRET_A }), baseVersion: 3 })
    ).json();
    expect(v4.secrets.idpClientSecret).toEqual({
      fingerprint: v1.secrets.idpClientSecret.fingerprint,
      changedIn: 4,
      expiresAt: null,
    });
  });

  test('a ciphertext copied onto another version’s row (by a superuser bypassing the trigger) fails to decrypt', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'copy-attack');
    const url = `/v1/orgs/${org.id}/sso/versions`;
    expect(
      (
        await send('PUT', `/v1/orgs/${org.id}/cognigy`, tenant.adminKey, {
          apiBase: 'https://api-trial.cognigy.ai/new',
          apiKey: 'cognigy-key-0123456789',
        })
      ).statusCode,
    ).toBe(200);
    await send('POST', url, editor, { ...oidc({ idpClientSecret: SECRET_A }), baseVersion: 0 });
    await send('POST', url, editor, { ...oidc({ idpClientSecret: SECRET_B }), baseVersion: 1 });
    expect((await send('GET', `${url}/2/cognigy-request`, editor)).statusCode).toBe(200);
    const client = await t.database.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('ALTER TABLE sso_versions DISABLE TRIGGER sso_versions_immutable');
      await client.query(
        `UPDATE sso_versions v2 SET client_secret_sealed = v1.client_secret_sealed
           FROM sso_versions v1 WHERE v1.org_id = $1 AND v1.number = 1 AND v2.org_id = $1 AND v2.number = 2`,
        [org.id],
      );
      await client.query('ALTER TABLE sso_versions ENABLE TRIGGER sso_versions_immutable');
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expectProblem(await send('GET', `${url}/2/cognigy-request`, editor), 409, 'SSO_SECRETS_UNAVAILABLE');
  });

  test('SAML: an omitted decryption key is carried over, null removes it', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'saml-keys');
    const url = `/v1/orgs/${org.id}/sso/versions`;
    const v1 = (await send('POST', url, editor, { ...samlDraft(), baseVersion: 0 })).json();
    const { decryptionPrivateKey: _k, ...withoutKey } = samlDraft();
    const v2 = (await send('POST', url, editor, { ...withoutKey, baseVersion: 1 })).json();
    expect(v2.secrets.decryptionPrivateKey).toEqual(v1.secrets.decryptionPrivateKey);
    const v3 = (
      await send('POST', url, editor, { ...withoutKey, decryptionPrivateKey: null, baseVersion: 2 })
    ).json();
    expect(v3.secrets.decryptionPrivateKey).toBeNull();
    const diff = (await send('GET', `${url}/3/diff?against=2`, editor)).json();
    expect(diff.summary).toEqual([
      `decryptionPrivateKey removed (was ${v1.secrets.decryptionPrivateKey.fingerprint}).`,
    ]);
  });

  test('an OIDC draft with nothing to carry over must give the secret (400 naming it, nothing stored)', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'no-secret');
    const url = `/v1/orgs/${org.id}/sso/versions`;
    await send('POST', url, editor, { kind: 'disabled', baseVersion: 0 });
    const res = await send('POST', url, editor, { ...oidc(), baseVersion: 1 });
    const problem = expectProblem(res, 400, 'SSO_CLIENT_SECRET_REQUIRED');
    expect(problem.errors).toEqual([{ pointer: '/body/idpClientSecret', detail: expect.any(String) }]);
    expect(await numbersOf(org.id)).toEqual([1]);
  });
});

describe('refusals', () => {
  let orgId: string;
  let url: string;
  beforeAll(async () => {
    orgId = (await createOrg(t.app, tenant.adminKey, 'refusals')).id;
    url = `/v1/orgs/${orgId}/sso/versions`;
  });

  test('a draft must name its base: 428 without baseVersion or If-Match, 400 when the two disagree', async () => {
    expectProblem(await send('POST', url, editor, { kind: 'disabled' }), 428, 'SSO_BASE_VERSION_REQUIRED');
    expectProblem(
      await send('POST', url, editor, { kind: 'disabled', baseVersion: 0 }, { 'if-match': '"3"' }),
      400,
      'REQUEST_REVISION_MISMATCH',
    );
    expect((await send('POST', url, editor, { kind: 'disabled' }, { 'if-match': '"0"' })).statusCode).toBe(
      201,
    );
  });

  test('an unknown kind, a field of another kind, a bad certificate or key: 400 naming the field', async () => {
    const kind = expectProblem(await send('POST', url, editor, { kind: 'ldap', baseVersion: 1 }), 400);
    expect(kind.errors.map((e: { pointer: string }) => e.pointer)).toContain('/body/kind');
    const mixed = expectProblem(
      await send('POST', url, editor, { ...samlDraft(), idpClientId: 'x', baseVersion: 1 }),
      400,
    );
    expect(mixed.errors).toContainEqual({ pointer: '/body/idpClientId', detail: 'is not a known field' });
    const cert = expectProblem(
      await send('POST', url, editor, {
        ...samlDraft({ idpCertificate: 'bm90IGEgY2VydA==' }),
        baseVersion: 1,
      }),
      400,
    );
    expect(cert.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/body/idpCertificate']);
    const key = expectProblem(
      await send('POST', url, editor, {
        ...samlDraft({ decryptionPrivateKey: 'secret-looking-not-a-key' }),
        baseVersion: 1,
      }),
      400,
    );
    expect(key.errors).toEqual([
      { pointer: '/body/decryptionPrivateKey', detail: 'is not a PEM private key' },
    ]);
    expect(JSON.stringify(key)).not.toContain('secret-looking-not-a-key');
    const http = expectProblem(
      await send('POST', url, editor, {
        ...samlDraft({ idpLoginEndpoint: 'http://idp.example.com/login' }),
        baseVersion: 1,
      }),
      400,
    );
    expect(http.errors).toEqual([{ pointer: '/body/idpLoginEndpoint', detail: 'must be an https URL' }]);
    const issuer = expectProblem(
      await send('POST', url, editor, {
        ...oidc({ idpIssuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', idpClientSecret: 's' }),
        baseVersion: 1,
      }),
      400,
    );
    expect(issuer.errors[0].pointer).toBe('/body/idpIssuer');
    expect(await numbersOf(orgId)).toEqual([1]);
  });

  test('a failed validation needs an override reason, recorded with the approval', async () => {
    const draft = await send('POST', url, both, { ...oidc({ idpClientSecret: SECRET_A }), baseVersion: 1 });
    expect(draft.json().validation.status).toBe('fail');
    const refused = expectProblem(
      await send('POST', `${url}/2/approve`, approver, {}),
      422,
      'SSO_VALIDATION_FAILED',
    );
    expect(refused.failedChecks).toContain('network_policy');
    expectProblem(
      await send('POST', `${url}/2/approve`, approver, { expectedHash: `sha256:${'0'.repeat(64)}` }),
      409,
      'SSO_VERSION_HASH_MISMATCH',
    );
    const ok = await send('POST', `${url}/2/approve`, approver, {
      overrideReason: 'IdP only reachable on-premises',
    });
    expect(ok.json().review).toMatchObject({
      state: 'approved',
      overrideReason: 'IdP only reachable on-premises',
    });
  });

  test('an older draft cannot be approved after a newer version was', async () => {
    expect((await send('POST', url, editor, { kind: 'disabled', baseVersion: 2 })).statusCode).toBe(201); // v3
    expect(
      (await send('POST', url, editor, { kind: 'disabled', note: 'x', baseVersion: 3 })).statusCode,
    ).toBe(201); // v4
    expect((await send('POST', `${url}/4/approve`, approver, {})).statusCode).toBe(200);
    expectProblem(await send('POST', `${url}/3/approve`, approver, {}), 409, 'SSO_VERSION_OUTDATED');
  });

  test('missing versions, diffs and targets are clear 404/409s', async () => {
    expectProblem(await send('GET', `${url}/99`, editor), 404, 'SSO_VERSION_NOT_FOUND');
    expectProblem(await send('GET', `${url}/1/diff?against=99`, editor), 404, 'SSO_VERSION_NOT_FOUND');
    expectProblem(await send('GET', `${url}/1/diff?against=latest`, editor), 400);
    expectProblem(await send('GET', `${url}/1/cognigy-request`, editor), 409, 'COGNIGY_TARGET_MISSING');
    const fresh = await createOrg(t.app, tenant.adminKey, 'no-live');
    await send('POST', `/v1/orgs/${fresh.id}/sso/versions`, editor, { kind: 'disabled', baseVersion: 0 });
    expectProblem(
      await send('GET', `/v1/orgs/${fresh.id}/sso/versions/1/diff?against=live`, editor),
      409,
      'SSO_NO_LIVE_VERSION',
    );
  });

  test('rollback in one call: refused unless the tenant allows it and the caller is an approver; then marked self-approved', async () => {
    expectProblem(
      await send('POST', `${url}/1/rollback`, both, { approve: true }),
      403,
      'SSO_ROLLBACK_APPROVAL_DISABLED',
    );
    const settings = await t.app.inject({
      method: 'PATCH',
      url: '/v1/tenant',
      headers: bearer(tenant.adminKey),
      payload: { allowRollbackApproval: true },
    });
    expect(settings.statusCode).toBe(200);
    expectProblem(
      await send('POST', `${url}/1/rollback`, editor, { approve: true }),
      403,
      'AUTH_ROLE_REQUIRED',
    );
    const before = await numbersOf(orgId);
    const res = await send('POST', `${url}/1/rollback`, both, { approve: true, note: 'incident 42' });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json()).toMatchObject({
      rollbackOf: 1,
      note: 'Rollback to v1: incident 42',
      review: { state: 'approved', selfApproved: true },
    });
    expect(await numbersOf(orgId)).toEqual([...before, before.length + 1]);
    const state = (await send('GET', `/v1/orgs/${orgId}/sso`, editor)).json();
    expect(state.desired.number).toBe(before.length + 1);
    const events = await t.database.pool.query<{
      action: string;
      diff: { after: { review?: { selfApproved: boolean } } };
    }>(
      `SELECT action, diff FROM audit_events WHERE org_id = $1 AND action LIKE 'sso_version.%' ORDER BY seq DESC LIMIT 3`,
      [orgId],
    );
    expect(events.rows.map((e) => e.action)).toEqual([
      'sso_version.superseded',
      'sso_version.approved',
      'sso_version.rollback_created',
    ]);
    expect(events.rows[1]?.diff.after.review?.selfApproved).toBe(true);
  });

  test('the version list pages newest first with a cursor; cursors and numbers out of range are 400', async () => {
    const first = await send('GET', `${url}?limit=2`, editor);
    expect(first.statusCode).toBe(200);
    const head = Number(JSON.parse(first.headers.etag as string));
    expect(first.json().items.map((v: { number: number }) => v.number)).toEqual([head, head - 1]);
    const second = await send('GET', `${url}?limit=2&cursor=${first.json().nextCursor}`, editor);
    expect(second.json().items.map((v: { number: number }) => v.number)).toEqual([head - 2, head - 3]);
    const states = (await send('GET', `${url}?state=approved`, editor)).json().items;
    expect(states.length).toBeGreaterThan(0);
    for (const v of states) expect(v.review.state).toBe('approved');
    const huge = Buffer.from(JSON.stringify([1e20])).toString('base64url');
    expectProblem(await send('GET', `${url}?cursor=${huge}`, editor), 400, 'PAGINATION_CURSOR_INVALID');
    expectProblem(await send('GET', `${url}/1/diff?against=9999999999`, editor), 400);
    expectProblem(await send('GET', `${url}/9999999999`, editor), 400);
  });

  test('an archived org takes no new version', async () => {
    const org = await createOrg(t.app, tenant.adminKey, 'archived-sso');
    await t.app.inject({ method: 'DELETE', url: `/v1/orgs/${org.id}`, headers: bearer(tenant.adminKey) });
    expectProblem(
      await send('POST', `/v1/orgs/${org.id}/sso/versions`, editor, { kind: 'disabled', baseVersion: 0 }),
      409,
      'ORG_ARCHIVED',
    );
  });
});
