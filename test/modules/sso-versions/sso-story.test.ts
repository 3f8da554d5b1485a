/**
 * The whole story of §4 through the API, for OIDC (against a real oidc-provider) and SAML:
 * draft → validation report → diff against live → self-approval refused → approval by another key
 * → rollback to v1 → the rollback restores v1 (secret fingerprint included) → every step audited.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectProblem } from '../../support/app.js';
import { type StaticServer, startFixtureServer } from '../discovery/idp-servers.js';
import {
  CLIENT_SECRET,
  createSsoOrg,
  createSsoWorld,
  oidcDraft,
  type Send,
  type SsoWorld,
  samlDraft,
  samlMaterial,
  sender,
} from './sso-support.js';

let w: SsoWorld;
let send: Send;

beforeAll(async () => {
  w = await createSsoWorld('sso-story');
  send = sender(w.t);
});
afterAll(async () => w?.close());

async function auditActions(orgId: string): Promise<string[]> {
  const res = await send('GET', `/v1/audit-events?org=${orgId}&limit=200`, w.auditor);
  expect(res.statusCode).toBe(200);
  return (res.json().items as { action: string }[]).map((e) => e.action).reverse();
}

describe('OIDC', () => {
  test('draft, review, diff, four-eyes, rollback — each step audited, no secret ever shown', async () => {
    const org = await createSsoOrg(w, 'story-oidc');
    const base = `/v1/orgs/${org.id}/sso/versions`;
    const bodies: string[] = [];
    const call: Send = async (...args) => {
      const res = await send(...args);
      bodies.push(res.body);
      return res;
    };

    // v1: a draft validated against the real IdP
    const v1 = await call('POST', base, w.both, {
      ...oidcDraft(w.idp.issuer),
      baseVersion: 0,
      note: 'first',
    });
    expect(v1.statusCode, v1.body).toBe(201);
    expect(v1.headers.location).toBe(`${base}/1`);
    expect(v1.headers.etag).toBe('"1"');
    const draft1 = v1.json();
    expect(draft1).toMatchObject({
      number: 1,
      kind: 'oidc',
      baseVersion: null,
      review: { state: 'draft' },
      content: {
        idpIssuer: w.idp.issuer,
        idpIdTokenSignedResponseAlg: 'RS256',
        idpTokenEndpointAuthMethod: 'client_secret_basic',
      },
      secrets: { idpClientSecret: { changedIn: 1 }, decryptionPrivateKey: null },
    });
    expect(draft1.secrets.idpClientSecret.fingerprint).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    const checks = Object.fromEntries(
      draft1.validation.checks.map((c: { name: string; status: string }) => [c.name, c.status]),
    );
    expect(checks).toMatchObject({
      document_fetched: 'pass',
      issuer_match: 'pass',
      jwks: 'pass',
      cognigy_url_format: 'warn',
    });
    expect(draft1.validation.status).toBe('warn');
    expect(draft1.validation.discovery.evidence.jwksKeyIds).toEqual(['signing-key-1']);

    // the author cannot approve their own draft; another approver can
    expectProblem(await call('POST', `${base}/1/approve`, w.both, {}), 403, 'SSO_SELF_APPROVAL_FORBIDDEN');
    const a1 = await call('POST', `${base}/1/approve`, w.approver, { comment: 'ok' });
    expect(a1.statusCode, a1.body).toBe(200);
    expect(a1.json().review).toMatchObject({
      state: 'approved',
      selfApproved: false,
      approvedHash: draft1.contentHash,
      comment: 'ok',
    });

    // v2: another client id, secret carried over (re-bound, same fingerprint)
    const v2 = await call('POST', base, w.editor, {
      kind: 'oidc',
      idpIssuer: w.idp.issuer,
      idpClientId: 'another-client',
      baseVersion: 1,
    });
    expect(v2.statusCode, v2.body).toBe(201);
    expect(v2.json().secrets.idpClientSecret).toEqual(draft1.secrets.idpClientSecret);

    const diffLive = await call('GET', `${base}/2/diff?against=live`, w.auditor);
    expect(diffLive.statusCode).toBe(200);
    expect(diffLive.json()).toMatchObject({
      from: 1,
      to: 2,
      equal: false,
      changes: [{ field: 'idpClientId', before: 'cognigy-sso', after: 'another-client', secret: false }],
    });
    expect(diffLive.json().summary).toEqual([
      'idpClientId changed from cognigy-sso to another-client.',
      `idpClientSecret unchanged (fingerprint ${draft1.secrets.idpClientSecret.fingerprint}, last changed in v1).`,
    ]);

    expectProblem(await call('POST', `${base}/2/approve`, w.editor, {}), 403, 'AUTH_ROLE_REQUIRED');
    const a2 = await call('POST', `${base}/2/approve`, w.approver, {});
    expect(a2.statusCode, a2.body).toBe(200);
    // v1 was approved and not forwarded yet: superseded by v2
    expect((await call('GET', `${base}/1`, w.auditor)).json().review).toMatchObject({
      state: 'superseded',
      supersededBy: 2,
    });

    // rollback to v1: a new draft with v1's content and secret
    const rb = await call('POST', `${base}/1/rollback`, w.editor, { note: 'client id was wrong' });
    expect(rb.statusCode, rb.body).toBe(201);
    expect(rb.json()).toMatchObject({
      number: 3,
      baseVersion: 2,
      rollbackOf: 1,
      note: 'Rollback to v1: client id was wrong',
      contentHash: draft1.contentHash,
      content: draft1.content,
      review: { state: 'draft' },
    });
    const restored = await call('GET', `${base}/3/diff?against=1`, w.auditor);
    expect(restored.json()).toMatchObject({ equal: true, changes: [] });
    expect(restored.json().summary).toContain(
      `idpClientSecret unchanged (fingerprint ${draft1.secrets.idpClientSecret.fingerprint}, last changed in v1).`,
    );
    const undo = await call('GET', `${base}/3/diff?against=live`, w.auditor);
    expect(undo.json().changes).toEqual([
      { field: 'idpClientId', before: 'another-client', after: 'cognigy-sso', secret: false },
    ]);
    expect((await call('POST', `${base}/3/approve`, w.approver, {})).statusCode).toBe(200);

    const state = await call('GET', `/v1/orgs/${org.id}/sso`, w.auditor);
    expect(state.json()).toMatchObject({
      headVersion: 3,
      desired: { number: 3, kind: 'oidc', contentHash: draft1.contentHash },
      pendingDrafts: [],
      applied: null,
      setup: {
        organisationId: '5f1a2b3c4d5e6f7a8b9c0d1e',
        apiOrigin: 'https://api-trial.cognigy.ai',
        oidc: {
          loginUrl: 'https://api-trial.cognigy.ai/auth/oidc/login/5f1a2b3c4d5e6f7a8b9c0d1e',
          callbackUrl: 'https://api-trial.cognigy.ai/auth/oidc/login/callback/5f1a2b3c4d5e6f7a8b9c0d1e',
        },
      },
    });

    const dry = await call('GET', `${base}/3/cognigy-request`, w.auditor);
    expect(dry.statusCode, dry.body).toBe(200);
    expect(dry.json()).toMatchObject({
      version: 3,
      method: 'POST',
      url: 'https://api-trial.cognigy.ai/new/v2.0/identityprovider/configure',
      headers: { 'x-api-key': expect.stringMatching(/^\[masked hmac-sha256:[0-9a-f]{32}\]$/) },
      body: {
        idpType: 'oidc',
        idpIssuer: w.idp.issuer,
        idpClientId: 'cognigy-sso',
        idpClientSecret: `[masked ${draft1.secrets.idpClientSecret.fingerprint}]`,
      },
    });

    // (no forwarding worker runs here: each approval enqueues a deployment, the next supersedes it)
    expect(await auditActions(org.id)).toEqual([
      'org.created',
      'cognigy_target.updated',
      'sso_version.created',
      'sso_version.approved',
      'deployment.enqueued',
      'sso_version.created',
      'sso_version.approved',
      'sso_version.superseded',
      'deployment.superseded',
      'deployment.enqueued',
      'sso_version.rollback_created',
      'sso_version.approved',
      'sso_version.superseded',
      'deployment.superseded',
      'deployment.enqueued',
    ]);
    for (const body of bodies) expect(body).not.toContain(CLIENT_SECRET);
    expect(w.t.logs.join('\n')).not.toContain(CLIENT_SECRET);
  });
});

describe('SAML', () => {
  test('draft with certificate and decryption key, review, rollback to v1 — each step audited', async () => {
    const org = await createSsoOrg(w, 'story-saml');
    const base = `/v1/orgs/${org.id}/sso/versions`;
    const { privateKeyPem } = samlMaterial();

    const v1 = await send('POST', base, w.editor, { ...samlDraft(), baseVersion: 0 });
    expect(v1.statusCode, v1.body).toBe(201);
    const draft1 = v1.json();
    expect(draft1.content).toMatchObject({
      idpIssuer: 'urn:example:idp',
      idpLogoutEndpoint: null,
      wantAuthnResponseSigned: null,
      idpDisableRequestedAuthnContext: false,
    });
    expect(draft1.content.idpCertificate).toMatch(/^[A-Za-z0-9+/]+=*$/); // base64 DER, armour removed
    expect(draft1.secrets.decryptionPrivateKey).toMatchObject({ changedIn: 1 });
    const cert = draft1.validation.checks.find((c: { name: string }) => c.name === 'saml_certificate');
    expect(cert.status).toMatch(/pass|warn/);
    expect(cert.details.notAfter).toMatch(/^\d{4}-/);
    expect(cert.details.subject).toBeTruthy();

    expect((await send('POST', `${base}/1/approve`, w.approver, {})).statusCode).toBe(200);

    const v2 = await send('POST', base, w.editor, {
      ...samlDraft({ idpLoginEndpoint: 'https://idp.example.com/saml/v2/login' }),
      decryptionPrivateKey: undefined,
      baseVersion: 1,
    });
    expect(v2.statusCode, v2.body).toBe(201);
    expect(v2.json().secrets.decryptionPrivateKey).toEqual(draft1.secrets.decryptionPrivateKey);
    const diff = (await send('GET', `${base}/2/diff?against=live`, w.auditor)).json();
    expect(diff.summary[0]).toBe(
      'idpLoginEndpoint changed from https://idp.example.com/saml/login to https://idp.example.com/saml/v2/login.',
    );
    expectProblem(await send('POST', `${base}/2/reject`, w.approver, {}), 400);
    const rejected = await send('POST', `${base}/2/reject`, w.approver, { comment: 'wrong endpoint' });
    expect(rejected.json().review).toMatchObject({ state: 'rejected', comment: 'wrong endpoint' });
    expectProblem(await send('POST', `${base}/2/approve`, w.approver, {}), 409, 'SSO_VERSION_NOT_DRAFT');

    const rb = await send('POST', `${base}/1/rollback`, w.editor, {});
    expect(rb.statusCode, rb.body).toBe(201);
    expect(rb.json()).toMatchObject({ number: 3, rollbackOf: 1, contentHash: draft1.contentHash });
    expect((await send('GET', `${base}/3/diff?against=1`, w.auditor)).json().equal).toBe(true);
    expect((await send('POST', `${base}/3/approve`, w.approver, {})).statusCode).toBe(200);

    const dry = (await send('GET', `${base}/3/cognigy-request`, w.auditor)).json();
    expect(dry.body).toMatchObject({
      idpType: 'saml',
      idpIssuer: 'urn:example:idp',
      idpCertificate: draft1.content.idpCertificate,
      decryptionPrivateKey: `[masked ${draft1.secrets.decryptionPrivateKey.fingerprint}]`,
      idpDisableRequestedAuthnContext: false,
    });
    expect(dry.body).not.toHaveProperty('wantAuthnResponseSigned');

    expect(await auditActions(org.id)).toEqual([
      'org.created',
      'cognigy_target.updated',
      'sso_version.created',
      'sso_version.approved',
      'deployment.enqueued',
      'sso_version.created',
      'sso_version.rejected',
      'sso_version.rollback_created',
      'sso_version.approved',
      'sso_version.superseded',
      'deployment.superseded',
      'deployment.enqueued',
    ]);
    const keyBody = privateKeyPem.split('\n')[1] as string;
    expect(w.t.logs.join('\n')).not.toContain(keyBody);
  });
});

describe('disabled', () => {
  test('a disabled version is a reset in the dry run', async () => {
    const org = await createSsoOrg(w, 'story-disabled');
    const base = `/v1/orgs/${org.id}/sso/versions`;
    const v1 = await send('POST', base, w.editor, { kind: 'disabled', baseVersion: 0 });
    expect(v1.statusCode, v1.body).toBe(201);
    expect(v1.json()).toMatchObject({ kind: 'disabled', content: {}, validation: { status: 'pass' } });
    const dry = (await send('GET', `${base}/1/cognigy-request`, w.auditor)).json();
    expect(dry).toMatchObject({
      url: 'https://api-trial.cognigy.ai/new/v2.0/identityprovider/reset',
      body: null,
    });
  });
});

describe('real IdP quirks (the discovery fixtures of test/fixtures/idp)', () => {
  let fixtures: StaticServer;
  beforeAll(async () => {
    fixtures = await startFixtureServer();
  });
  afterAll(async () => fixtures?.close());

  test('Auth0: an issuer entered without its trailing slash is stored as the IdP publishes it, slash included', async () => {
    const org = await createSsoOrg(w, 'quirk-auth0');
    const entered = `${fixtures.url}/example-tenant.eu.auth0.com`;
    const res = await send('POST', `/v1/orgs/${org.id}/sso/versions`, w.editor, {
      ...oidcDraft(entered),
      baseVersion: 0,
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().content.idpIssuer).toBe(`${entered}/`);
    const match = res.json().validation.checks.find((c: { name: string }) => c.name === 'issuer_match');
    expect(match.status).toBe('warn');
    const dry = (await send('GET', `/v1/orgs/${org.id}/sso/versions/1/cognigy-request`, w.auditor)).json();
    expect(dry.body.idpIssuer).toBe(`${entered}/`);
  });

  test('Entra “common”: the {tenantid} issuer fails issuer_match, and no override reason can approve it', async () => {
    const org = await createSsoOrg(w, 'quirk-entra');
    const entered = `${fixtures.url}/login.microsoftonline.com/common/v2.0`;
    const res = await send('POST', `/v1/orgs/${org.id}/sso/versions`, w.editor, {
      ...oidcDraft(entered),
      baseVersion: 0,
    });
    expect(res.statusCode, res.body).toBe(201);
    const match = res.json().validation.checks.find((c: { name: string }) => c.name === 'issuer_match');
    expect(match).toMatchObject({ status: 'fail', message: expect.stringContaining('multi-tenant') });
    expect(res.json().content.idpIssuer).toBe(entered); // the template is never stored as the issuer
    const refused = expectProblem(
      await send('POST', `/v1/orgs/${org.id}/sso/versions/1/approve`, w.approver, {
        overrideReason: 'we know',
      }),
      422,
      'SSO_VALIDATION_BLOCKING',
    );
    expect(refused.check).toBe('issuer_match');
    expect((await send('GET', `/v1/orgs/${org.id}/sso`, w.auditor)).json().desired).toBeNull();
  });
});
