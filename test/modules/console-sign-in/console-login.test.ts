/**
 * A tenant admin sets up console sign-in (issue 20): validated through discovery before anything is
 * saved, the client secret sealed and shown only as a fingerprint, the change audited in its
 * transaction; removing it ends the tenant's sessions. Refusals change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createKey, createTenant, expectProblem } from '../../support/app.js';
import { chainOf } from '../../support/audit.js';
import { CONSOLE_CLIENT_SECRET, signIn } from '../../support/console-idp.js';
import { snapshotDatabase } from '../../support/db-snapshot.js';
import { type ConsoleWorld, createConsoleWorld, settingsBody } from './console-world.js';

let w: ConsoleWorld;

beforeAll(async () => {
  w = await createConsoleWorld('console-login');
}, 60_000);
afterAll(async () => w?.close());

const put = (key: string, payload: object, headers: Record<string, string> = {}) =>
  w.t.app.inject({
    method: 'PUT',
    url: '/v1/console-login',
    headers: { ...bearer(key), ...headers },
    payload,
  });
const get = (key: string) =>
  w.t.app.inject({ method: 'GET', url: '/v1/console-login', headers: bearer(key) });

describe('console login settings', () => {
  it('shows the settings with the redirect URI and login URL, the secret only as a fingerprint', async () => {
    const res = await get(w.tenant.adminKey);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({
      configured: true,
      issuer: `${w.idp.issuer}`,
      clientId: 'csso-console',
      idTokenSignedResponseAlg: 'RS256',
      groupsClaim: 'groups',
      allowedEmailDomains: ['example.com'],
      apiKeySignInAllowed: true,
      redirectUri: 'http://localhost:3000/ui/auth/callback',
      loginUrl: `http://localhost:3000/ui/login/${w.tenant.slug}`,
      etag: '"1"',
    });
    expect(body.clientSecretFingerprint).toMatch(/^hmac-sha256:[0-9a-f]{32}$/);
    expect(body.validation.status).not.toBe('fail');
    expect(body.validation.checks.find((c: { name: string }) => c.name === 'credential_probe').status).toBe(
      'pass',
    );
    expect(res.body).not.toContain(CONSOLE_CLIENT_SECRET);
  });

  it('answers configured: false with the URLs filled for a tenant without console sign-in', async () => {
    const other = await createTenant(w.t.app);
    const body = (await get(other.adminKey)).json();
    expect(body).toMatchObject({
      configured: false,
      issuer: null,
      clientSecretFingerprint: null,
      apiKeySignInAllowed: true,
    });
    expect(body.redirectUri).toBe('http://localhost:3000/ui/auth/callback');
    expect(body.loginUrl).toBe(`http://localhost:3000/ui/login/${other.slug}`);
  });

  it('needs the admin role and an unscoped key', async () => {
    const auditor = await createKey(w.t.app, w.tenant.adminKey, ['auditor']);
    expectProblem(await get(auditor.token), 403, 'AUTH_ROLE_REQUIRED');
    expectProblem(await put(auditor.token, settingsBody(w.idp.issuer)), 403, 'AUTH_ROLE_REQUIRED');
  });

  it('keeps the stored secret when none is sent, records the change with fingerprints only', async () => {
    const before = (await get(w.tenant.adminKey)).json();
    const { clientSecret: _omitted, ...body } = settingsBody(w.idp.issuer, { apiKeySignInAllowed: false });
    const res = await put(w.tenant.adminKey, body, { 'if-match': before.etag });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ apiKeySignInAllowed: false, etag: '"2"' });
    expect(res.json().clientSecretFingerprint).toBe(before.clientSecretFingerprint);
    const events = (await chainOf(w.t.database.pool, w.tenant.id)).filter(
      (e) => e.action === 'console_login.updated',
    );
    expect(events).toHaveLength(2);
    expect(events[1]?.diff).toEqual({
      before: { apiKeySignInAllowed: true },
      after: { apiKeySignInAllowed: false },
    });
    expect(JSON.stringify(events)).not.toContain(CONSOLE_CLIENT_SECRET);
    expect(w.t.logs.join('\n')).not.toContain(CONSOLE_CLIENT_SECRET);
    // the key sign-in page reads it
    const options = await w.t.app.inject({
      method: 'GET',
      url: `/v1/console-login/options?tenant=${w.tenant.slug}`,
    });
    expect(options.json()).toEqual({
      ssoAvailable: true,
      loginUrl: `http://localhost:3000/ui/login/${w.tenant.slug}`,
      apiKeySignInAllowed: false,
    });
    await put(w.tenant.adminKey, body); // back to the first settings, but for this one
  });

  it('answers an unknown tenant like one without console sign-in', async () => {
    const res = await w.t.app.inject({
      method: 'GET',
      url: '/v1/console-login/options?tenant=no-such-tenant',
    });
    expect(res.json()).toEqual({ ssoAvailable: false, loginUrl: null, apiKeySignInAllowed: true });
  });

  it('refuses a wrong client secret, an IdP that fails discovery, an unknown org and a missing first secret, changing nothing', async () => {
    const other = await createTenant(w.t.app);
    const snapshot = await snapshotDatabase(w.t.database.pool);
    const wrongSecret = await put(
      w.tenant.adminKey,
      settingsBody(w.idp.issuer, { clientSecret: 'not-the-secret' }),
    );
    const problem = expectProblem(wrongSecret, 422, 'CONSOLE_LOGIN_VALIDATION_FAILED');
    expect(
      problem.validation.checks.find((c: { name: string }) => c.name === 'credential_probe').status,
    ).toBe('fail');
    expectProblem(
      await put(w.tenant.adminKey, settingsBody('https://127.0.0.1:9/')),
      422,
      'CONSOLE_LOGIN_VALIDATION_FAILED',
    );
    const scoped = settingsBody(w.idp.issuer);
    scoped.roleMappings = [{ group: 'g', roles: ['auditor'], orgScope: ['no-such-org'] as unknown as null }];
    expectProblem(await put(w.tenant.adminKey, scoped), 422, 'CONSOLE_LOGIN_ORG_UNKNOWN');
    const { clientSecret: _s, ...noSecret } = settingsBody(w.idp.issuer);
    expectProblem(await put(other.adminKey, noSecret), 422, 'CONSOLE_LOGIN_SECRET_REQUIRED');
    expectProblem(
      await put(w.tenant.adminKey, settingsBody(w.idp.issuer), { 'if-match': '"99"' }),
      409,
      'CONSOLE_LOGIN_STALE',
    );
    expect(await snapshotDatabase(w.t.database.pool)).toEqual(snapshot);
  });

  it('maps a group to roles on some orgs only (by slug), stored as org ids', async () => {
    const body = settingsBody(w.idp.issuer);
    body.roleMappings = [
      { group: 'csso-auditors', roles: ['auditor'], orgScope: [w.org.slug] as unknown as null },
    ];
    const res = await put(w.tenant.adminKey, body);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().roleMappings).toEqual([
      { group: 'csso-auditors', roles: ['auditor'], orgScope: [w.org.id] },
    ]);
    const out = await signIn(w.t.app, w.idp, w.tenant.slug, 'ada');
    const me = await w.t.app.inject({
      method: 'GET',
      url: '/v1/session',
      headers: { cookie: out.cookie ?? '' },
    });
    expect(me.json()).toMatchObject({ roles: ['auditor'], orgScope: [w.org.id] });
    expect((await put(w.tenant.adminKey, settingsBody(w.idp.issuer))).statusCode).toBe(200);
  });

  it('removing it ends the tenant’s sessions and is audited; the login URL then says it is not available', async () => {
    const out = await signIn(w.t.app, w.idp, w.tenant.slug, 'ada');
    const cookie = out.cookie ?? '';
    expect(
      (await w.t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } })).statusCode,
    ).toBe(200);
    const res = await w.t.app.inject({
      method: 'DELETE',
      url: '/v1/console-login',
      headers: bearer(w.tenant.adminKey),
    });
    expect(res.statusCode).toBe(204);
    expectProblem(await w.t.app.inject({ method: 'GET', url: '/v1/session', headers: { cookie } }), 401);
    const removed = (await chainOf(w.t.database.pool, w.tenant.id)).filter(
      (e) => e.action === 'console_login.removed',
    );
    expect(removed).toHaveLength(1);
    expect(removed[0]?.diff.after).toEqual({ sessionsEnded: expect.any(Number) });
    const page = await w.t.app.inject({ method: 'GET', url: `/ui/login/${w.tenant.slug}` });
    expect(page.statusCode).toBe(404);
    expect(page.body).toContain('Console sign-in is not available');
    expectProblem(
      await w.t.app.inject({
        method: 'DELETE',
        url: '/v1/console-login',
        headers: bearer(w.tenant.adminKey),
      }),
      404,
      'CONSOLE_LOGIN_NOT_FOUND',
    );
    expect((await put(w.tenant.adminKey, settingsBody(w.idp.issuer))).statusCode).toBe(200);
  });
});
