/**
 * POST /v1/discovery/check through the whole app (real database, real network policy from the
 * environment). The fake IdP is plain HTTP on loopback, allowed by OUTBOUND_ALLOW_HTTP and
 * OUTBOUND_ALLOWLIST, because the container's policy trusts only the system's CAs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bearer,
  createKey,
  createTenant,
  createTestApp,
  expectProblem,
  type TenantFixture,
  type TestApp,
} from '../../support/app.js';
import { type StaticServer, startStaticServer } from './idp-servers.js';

const SECRET = 'probe-secret-never-to-be-seen-7d1e9b3a5c';
const TIMEOUT_MS = 1_500;

let t: TestApp;
let tenant: TenantFixture;
let editor: string;
let idp: StaticServer;
let hanging: StaticServer;

/** A minimal IdP: document, JWKS, and a token endpoint that knows client "c" with SECRET. */
function idpRoutes(origin: string) {
  return {
    '/.well-known/openid-configuration': {
      body: {
        issuer: origin,
        authorization_endpoint: `${origin}/authorize`,
        token_endpoint: `${origin}/token`,
        jwks_uri: `${origin}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      },
    },
    '/jwks': { body: { keys: [{ kty: 'RSA', kid: 'k1', use: 'sig', alg: 'RS256', n: 'AQAB', e: 'AQAB' }] } },
    '/token': {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'grant request is invalid' },
    },
  };
}

const check = (key: string, payload: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/discovery/check',
    headers: bearer(key),
    payload: payload as object,
  });

beforeAll(async () => {
  t = await createTestApp(
    { OUTBOUND_ALLOWLIST: '127.0.0.1', OUTBOUND_ALLOW_HTTP: 'true', OUTBOUND_TIMEOUT_MS: String(TIMEOUT_MS) },
    'discovery',
  );
  tenant = await createTenant(t.app);
  editor = (await createKey(t.app, tenant.adminKey, ['editor'])).token;
  idp = await startStaticServer(idpRoutes, { http: true });
  hanging = await startStaticServer(() => ({ '/.well-known/openid-configuration': { hang: true } }), {
    http: true,
  });
});

afterAll(async () => {
  await idp?.close();
  await hanging?.close();
  await t?.container.outbound.close();
  await t?.close();
});

describe('who may check', () => {
  test('an editor gets the report', async () => {
    const res = await check(editor, { issuer: idp.url });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    // the test IdP is plain http (allowed here): the endpoints check says so and warns (issue 17)
    expect(report.status).toBe('warn');
    expect(
      report.checks
        .filter((c: { status: string }) => c.status === 'warn')
        .map((c: { name: string }) => c.name),
    ).toEqual(['endpoints']);
    expect(report.issuer).toEqual({ requested: idp.url, discovered: idp.url });
    expect(report.checks).toHaveLength(11);
    expect(report.evidence.jwksKeyIds).toEqual(['k1']);
  });

  test('an admin gets the report', async () => {
    const res = await check(tenant.adminKey, { issuer: idp.url });
    expect(res.statusCode).toBe(200);
  });

  test.each([['auditor'], ['approver']])('an %s is refused (403) and nothing is fetched', async (role) => {
    const key = (await createKey(t.app, tenant.adminKey, [role])).token;
    const before = idp.requests;
    expectProblem(await check(key, { issuer: idp.url, refresh: true }), 403);
    expect(idp.requests).toBe(before);
  });

  test('no key is 401', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/discovery/check',
      payload: { issuer: idp.url },
    });
    expectProblem(res, 401);
  });
});

test('a failing issuer is still a 200: the check ran', async () => {
  const res = await check(editor, { issuer: idp.url, idTokenSignedResponseAlg: 'RS512' });
  expect(res.statusCode).toBe(200);
  expect(res.json().status).toBe('fail');
});

describe('bad input', () => {
  test.each([
    ['a non-URL', { issuer: 'not a url' }, '/body/issuer'],
    ['another scheme', { issuer: 'ftp://127.0.0.1/' }, '/body/issuer'],
    ['a URL with credentials', { issuer: 'https://user:pw@127.0.0.1/' }, '/body/issuer'],
    ['a 10 kB URL', { issuer: `https://127.0.0.1/${'a'.repeat(10_000)}` }, '/body/issuer'],
    ['an empty issuer', { issuer: '' }, '/body/issuer'],
    ['no issuer', {}, '/body/issuer'],
    [
      'an unknown algorithm',
      { issuer: 'IDP', idTokenSignedResponseAlg: 'ES256' },
      '/body/idTokenSignedResponseAlg',
    ],
    [
      'an algorithm in lower case',
      { issuer: 'IDP', idTokenSignedResponseAlg: 'rs256' },
      '/body/idTokenSignedResponseAlg',
    ],
    [
      'an unknown auth method',
      { issuer: 'IDP', tokenEndpointAuthMethod: 'client_secret' },
      '/body/tokenEndpointAuthMethod',
    ],
    ['an unknown field', { issuer: 'IDP', idpIssuer: 'IDP' }, '/body/idpIssuer'],
    [
      'an unknown probe field',
      { issuer: 'IDP', probe: { clientId: 'c', clientSecret: SECRET, scope: 'x' } },
      '/body/probe/scope',
    ],
    ['a probe without secret', { issuer: 'IDP', probe: { clientId: 'c' } }, '/body/probe/clientSecret'],
    ['a scope with a quote', { issuer: 'IDP', additionalScope: 'a"b' }, '/body/additionalScope'],
    ['refresh as a string', { issuer: 'IDP', refresh: 'true' }, '/body/refresh'],
  ])('%s is 400 and nothing is fetched', async (_what, body, pointer) => {
    const before = idp.requests;
    const payload = JSON.parse(JSON.stringify(body).replaceAll('IDP', idp.url));
    const problem = expectProblem(await check(editor, payload), 400);
    expect(problem.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(idp.requests).toBe(before);
    expect(JSON.stringify(problem)).not.toContain(SECRET);
  });
});

test('the client secret of a probe is in no response and no log line', async () => {
  const res = await check(editor, {
    issuer: idp.url,
    tokenEndpointAuthMethod: 'client_secret_post',
    probe: {
      clientId: 'c',
      clientSecret: SECRET,
      redirectUri: 'https://api.example.com/auth/oidc/login/callback/o',
    },
    refresh: true,
  });
  expect(res.statusCode).toBe(200);
  const probe = res.json().checks.find((c: { name: string }) => c.name === 'credential_probe');
  expect(probe.status).toBe('pass');
  expect(res.body).not.toContain(SECRET);
  expect(t.logs.length).toBeGreaterThan(0);
  expect(t.logs.filter((line) => line.includes(SECRET))).toEqual([]);
  const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
  expect(metrics.body).toContain('discovery_check_outcomes_total{check="credential_probe",status="pass"}');
  expect(metrics.body).not.toContain(SECRET);
});

test('the service answers other requests while an IdP never answers', async () => {
  const started = Date.now();
  const slow = check(editor, { issuer: hanging.url });
  const quick = await check(editor, { issuer: idp.url, refresh: true });
  const health = await t.app.inject({ method: 'GET', url: '/healthz' });
  const quickAt = Date.now();
  const slowRes = await slow;

  expect(quick.statusCode).toBe(200);
  expect(health.statusCode).toBe(200);
  expect(quickAt - started).toBeLessThan(TIMEOUT_MS);
  expect(slowRes.statusCode).toBe(200);
  const fetched = slowRes.json().checks.find((c: { name: string }) => c.name === 'document_fetched');
  expect(fetched).toMatchObject({ status: 'fail', details: { reason: 'timeout' } });
  expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
});
