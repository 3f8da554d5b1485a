/**
 * Discovery documents modelled on real IdPs (test/fixtures/idp/), served on loopback HTTPS with
 * their URLs rewritten: each gives a sensible report, never a crash.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CheckName, DiscoveryReport } from '../../../src/modules/discovery/discovery-report.js';
import {
  createDiscoveryValidator,
  type DiscoveryInput,
  type DiscoveryValidator,
} from '../../../src/modules/discovery/discovery-validator.js';
import type { OutboundClient } from '../../../src/modules/outbound/outbound-client.js';
import { loopbackFetch, type StaticServer, startFixtureServer } from './idp-servers.js';

let server: StaticServer;
let outbound: OutboundClient;
let validator: DiscoveryValidator;

/** The loopback URL standing for a real one: https://host/path → https://127.0.0.1:port/host/path. */
const at = (realUrl: string) => realUrl.replace(/^https:\/\//, `${server.url}/`);

const check = (input: Omit<DiscoveryInput, 'issuer'> & { issuer: string }) =>
  validator.check({ ...input, issuer: at(input.issuer) });

const statuses = (report: DiscoveryReport) =>
  Object.fromEntries(report.checks.map((c) => [c.name, c.status]));
const messageOf = (report: DiscoveryReport, name: CheckName) =>
  report.checks.find((c) => c.name === name)?.message ?? '';

/** Every check up to the JWKS passes. */
const ALL_PASS = {
  issuer_url: 'pass',
  network_policy: 'pass',
  document_fetched: 'pass',
  issuer_match: 'pass',
  endpoints: 'pass',
  response_type_code: 'pass',
  id_token_signing_alg: 'pass',
  token_endpoint_auth_method: 'pass',
  jwks: 'pass',
  additional_scopes: 'skip',
  credential_probe: 'skip',
};

beforeAll(async () => {
  server = await startFixtureServer();
  outbound = loopbackFetch();
  validator = createDiscoveryValidator({ fetch: outbound, cacheTtlMs: 60_000, maxCacheEntries: 50 });
});

afterAll(async () => {
  await server?.close();
  await outbound?.close();
});

describe('Auth0', () => {
  test('an issuer typed without its trailing slash is corrected to the discovered one, with a warning', async () => {
    const report = await check({ issuer: 'https://example-tenant.eu.auth0.com' });
    expect(report.status).toBe('warn');
    expect(statuses(report)).toEqual({ ...ALL_PASS, issuer_match: 'warn' });
    expect(report.issuer.discovered).toBe(at('https://example-tenant.eu.auth0.com/'));
    expect(messageOf(report, 'issuer_match')).toContain('(with a trailing slash)');
    expect(report.metadata?.end_session_endpoint).toBe(at('https://example-tenant.eu.auth0.com/oidc/logout'));
    expect(report.evidence?.jwksKeyIds).toHaveLength(2);
  });

  test('the exact issuer, trailing slash included, passes', async () => {
    const report = await check({ issuer: 'https://example-tenant.eu.auth0.com/' });
    expect(report.status).toBe('pass');
  });

  test('a bare domain is tried as https://domain', async () => {
    const bare = at('https://example-tenant.eu.auth0.com').replace(/^https:\/\//, '');
    const report = await validator.check({ issuer: bare });
    expect(report.issuer.discovered).toBe(at('https://example-tenant.eu.auth0.com/'));
    expect(messageOf(report, 'issuer_url')).toContain('has no scheme, so it was tried as https://');
    expect(report.status).toBe('warn');
  });

  test('HS256, which Auth0 offers, warns that the client secret is the key', async () => {
    const report = await check({
      issuer: 'https://example-tenant.eu.auth0.com/',
      idTokenSignedResponseAlg: 'HS256',
    });
    expect(statuses(report)).toMatchObject({ id_token_signing_alg: 'pass', jwks: 'warn' });
  });
});

describe('Microsoft Entra ID', () => {
  const TENANT = 'https://login.microsoftonline.com/7f3c9a12-4b6e-4d8f-9a31-2c5e8b0d6f47/v2.0';

  test('a tenant’s v2.0 endpoint passes; its keys without alg verify RS256', async () => {
    const report = await check({ issuer: TENANT });
    expect(report.status).toBe('pass');
    expect(statuses(report)).toEqual(ALL_PASS);
    expect(report.metadata?.userinfo_endpoint).toBe(at('https://graph.microsoft.com/oidc/userinfo'));
    expect(messageOf(report, 'jwks')).toMatch(/^The JWKS has 3 keys; 3 can verify RS256 signatures/);
  });

  test('the pasted discovery URL of a tenant is turned back into its issuer', async () => {
    const report = await check({ issuer: `${TENANT}/.well-known/openid-configuration` });
    expect(report.status).toBe('pass');
    expect(report.issuer.discovered).toBe(at(TENANT));
  });

  test('the multi-tenant common endpoint fails, explaining the {tenantid} issuer', async () => {
    const report = await check({ issuer: 'https://login.microsoftonline.com/common/v2.0' });
    expect(report.status).toBe('fail');
    expect(statuses(report)).toEqual({ ...ALL_PASS, issuer_match: 'fail' });
    const message = messageOf(report, 'issuer_match');
    expect(message).toContain('is a multi-tenant Microsoft Entra ID endpoint');
    expect(message).toContain('/login.microsoftonline.com/{tenantid}/v2.0');
    expect(message).toContain('Use your tenant’s endpoint instead');
    expect(report.checks.find((c) => c.name === 'issuer_match')?.details).toMatchObject({
      multiTenantTemplate: true,
    });
  });

  test('client_secret_basic, which Entra lists last, is accepted', async () => {
    const report = await check({ issuer: TENANT, tokenEndpointAuthMethod: 'client_secret_basic' });
    expect(messageOf(report, 'token_endpoint_auth_method')).toBe(
      'The IdP accepts client_secret_post, private_key_jwt and client_secret_basic at its token endpoint; you chose client_secret_basic, which it accepts.',
    );
  });
});

describe('Google', () => {
  test('passes with endpoints on four hosts', async () => {
    const report = await check({ issuer: 'https://accounts.google.com' });
    expect(report.status).toBe('pass');
    expect(report.metadata).toMatchObject({
      authorization_endpoint: at('https://accounts.google.com/o/oauth2/v2/auth'),
      token_endpoint: at('https://oauth2.googleapis.com/token'),
      jwks_uri: at('https://www.googleapis.com/oauth2/v3/certs'),
      end_session_endpoint: null,
    });
  });

  test('a scope Google does not list is a warning', async () => {
    const report = await check({ issuer: 'https://accounts.google.com', additionalScope: 'groups' });
    expect(report.status).toBe('warn');
    expect(messageOf(report, 'additional_scopes')).toBe(
      'The IdP does not list groups among its scopes (openid, email and profile); it may refuse the login or ignore it.',
    );
  });
});

describe('Okta', () => {
  test('the org authorization server passes', async () => {
    const report = await check({ issuer: 'https://example.okta.com' });
    expect(report.status).toBe('pass');
    expect(report.metadata?.token_endpoint).toBe(at('https://example.okta.com/oauth2/v1/token'));
  });

  test('a custom authorization server passes, with its own endpoints and scopes', async () => {
    const report = await check({
      issuer: 'https://example.okta.com/oauth2/default',
      additionalScope: 'cognigy.agents',
    });
    expect(report.status).toBe('pass');
    expect(statuses(report)).toEqual({ ...ALL_PASS, additional_scopes: 'pass' });
    expect(report.metadata?.token_endpoint).toBe(at('https://example.okta.com/oauth2/default/v1/token'));
  });

  test('a custom scope asked of the org server is a warning', async () => {
    const report = await check({ issuer: 'https://example.okta.com', additionalScope: 'cognigy.agents' });
    expect(report.status).toBe('warn');
    expect(statuses(report).additional_scopes).toBe('warn');
  });

  test('the custom server’s issuer with a trailing slash is corrected', async () => {
    const report = await check({ issuer: 'https://example.okta.com/oauth2/default/' });
    expect(report.status).toBe('warn');
    expect(report.issuer.discovered).toBe(at('https://example.okta.com/oauth2/default'));
    expect(messageOf(report, 'issuer_match')).toContain('(without a trailing slash)');
  });
});

describe('OneLogin', () => {
  test('passes with client_secret_basic', async () => {
    const report = await check({ issuer: 'https://example.onelogin.com/oidc/2' });
    expect(report.status).toBe('pass');
  });

  test('private_key_jwt, which OneLogin does not offer, fails', async () => {
    const report = await check({
      issuer: 'https://example.onelogin.com/oidc/2',
      tokenEndpointAuthMethod: 'private_key_jwt',
    });
    expect(report.status).toBe('fail');
    expect(messageOf(report, 'token_endpoint_auth_method')).toBe(
      'The IdP accepts client_secret_basic, client_secret_post and none at its token endpoint; you chose private_key_jwt, which it does not accept.',
    );
  });
});

describe('Keycloak', () => {
  test('passes with RS256, ignoring the encryption key', async () => {
    const report = await check({ issuer: 'https://sso.example.com/realms/cognigy' });
    expect(report.status).toBe('pass');
    expect(messageOf(report, 'jwks')).toMatch(/^The JWKS has 2 keys; 1 can verify RS256 signatures/);
  });

  test('RS512 is offered in the document but no key signs with it: the JWKS check fails', async () => {
    const report = await check({
      issuer: 'https://sso.example.com/realms/cognigy',
      idTokenSignedResponseAlg: 'RS512',
    });
    expect(statuses(report)).toMatchObject({ id_token_signing_alg: 'pass', jwks: 'fail' });
    expect(messageOf(report, 'jwks')).toBe(
      'The JWKS has 2 keys (RSA sig RS256 and RSA enc RSA-OAEP), none of which is an RSA signing key for RS512.',
    );
  });
});

describe('AWS Cognito', () => {
  test('passes, with endpoints on the hosted-UI domain and the JWKS on the issuer’s', async () => {
    const report = await check({
      issuer: 'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Ab3dE5fGh',
      tokenEndpointAuthMethod: 'client_secret_post',
    });
    expect(report.status).toBe('pass');
    expect(report.metadata?.token_endpoint).toBe(
      at('https://example-pool.auth.eu-central-1.amazoncognito.com/oauth2/token'),
    );
    expect(report.evidence?.jwksKeyIds).toHaveLength(2);
  });
});

test('every fixture was served: no report relied on a missing route', () => {
  const documents = [...server.hits.entries()].filter(([path]) => path.endsWith('/openid-configuration'));
  expect(documents).toHaveLength(9);
});
