/**
 * The validator against a real oidc-provider and hand-made servers on loopback HTTPS, through the
 * real network policy (test CA trusted via `ca`, loopback via the allow-list; TLS verified).
 */
import { createHash } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CheckName, DiscoveryReport } from '../../../src/modules/discovery/discovery-report.js';
import {
  createDiscoveryValidator,
  type DiscoveryValidator,
} from '../../../src/modules/discovery/discovery-validator.js';
import { createOutboundFetch, type OutboundClient } from '../../../src/modules/outbound/outbound-client.js';
import { testCertificates } from '../../support/tls.js';
import {
  loopbackFetch,
  type OidcProviderServer,
  type StaticRoute,
  type StaticServer,
  startOidcProvider,
  startStaticServer,
} from './idp-servers.js';

const TIMEOUT_MS = 1_000;

let idp: OidcProviderServer;
let providerDocument: Record<string, unknown>;
let providerJwks: unknown;
let outbound: OutboundClient;
let validator: DiscoveryValidator;
const servers: StaticServer[] = [];

/** A server publishing a document at /.well-known/openid-configuration, built from its origin. */
async function serve(
  document: (origin: string) => unknown,
  extra: (origin: string) => Record<string, StaticRoute> = () => ({}),
): Promise<StaticServer> {
  const server = await startStaticServer((origin) => ({
    '/.well-known/openid-configuration': { body: document(origin) },
    ...extra(origin),
  }));
  servers.push(server);
  return server;
}

/** The provider's own document, published at `origin` as that origin's issuer (endpoints stay on the provider). */
function providerDocumentAt(origin: string): Record<string, unknown> {
  return { ...providerDocument, issuer: origin };
}

const checkOf = (report: DiscoveryReport, name: CheckName) => {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
};

const fresh = (issuer: string, more: Partial<Parameters<DiscoveryValidator['check']>[0]> = {}) =>
  validator.check({ issuer, refresh: true, ...more });

beforeAll(async () => {
  idp = await startOidcProvider();
  outbound = loopbackFetch({ timeoutMs: TIMEOUT_MS });
  validator = createDiscoveryValidator({ fetch: outbound, cacheTtlMs: 60_000, maxCacheEntries: 50 });
  const res = await outbound(`${idp.issuer}/.well-known/openid-configuration`);
  providerDocument = (await res.json()) as Record<string, unknown>;
  providerJwks = await (await outbound(`${idp.issuer}/jwks`)).json();
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await idp?.close();
  await outbound?.close();
});

describe('a good issuer', () => {
  test('passes every check, with the discovered issuer, the endpoints and the evidence in the report', async () => {
    const report = await fresh(idp.issuer);

    expect(report.status).toBe('pass');
    expect(report.issuer).toEqual({ requested: idp.issuer, discovered: idp.issuer });
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['issuer_url', 'pass'],
      ['network_policy', 'pass'],
      ['document_fetched', 'pass'],
      ['issuer_match', 'pass'],
      ['endpoints', 'pass'],
      ['response_type_code', 'pass'],
      ['id_token_signing_alg', 'pass'],
      ['token_endpoint_auth_method', 'pass'],
      ['jwks', 'pass'],
      ['additional_scopes', 'skip'],
      ['credential_probe', 'skip'],
    ]);
    expect(report.metadata).toMatchObject({
      issuer: idp.issuer,
      authorization_endpoint: `${idp.issuer}/auth`,
      token_endpoint: `${idp.issuer}/token`,
      jwks_uri: `${idp.issuer}/jwks`,
      userinfo_endpoint: `${idp.issuer}/me`,
      end_session_endpoint: `${idp.issuer}/session/end`,
    });
    const served = await outbound(`${idp.issuer}/.well-known/openid-configuration`);
    const sha = createHash('sha256')
      .update(new Uint8Array(await served.arrayBuffer()))
      .digest('hex');
    expect(report.evidence).toEqual({ documentSha256: sha, jwksKeyIds: ['signing-key-1'] });
    expect(report.cached).toBe(false);
    expect(new Date(report.checkedAt).getTime()).not.toBeNaN();
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    expect(checkOf(report, 'jwks').message).toBe(
      'The JWKS has 1 key; 1 can verify RS256 signatures (signing-key-1).',
    );
  });

  test('a pasted discovery-document URL is checked as its issuer', async () => {
    const report = await fresh(`${idp.issuer}/.well-known/openid-configuration`);
    expect(report.status).toBe('pass');
    expect(report.issuer.discovered).toBe(idp.issuer);
    expect(checkOf(report, 'issuer_url').message).toContain(
      'You entered the address of the discovery document',
    );
  });

  test('asks for the document with Accept: application/json', async () => {
    let accept: string | null = null;
    const spy = createDiscoveryValidator({
      fetch: async (url, options) => {
        if (String(url).endsWith('/openid-configuration'))
          accept = new Headers(options?.headers).get('accept');
        return outbound(url, options);
      },
      cacheTtlMs: 0,
      maxCacheEntries: 0,
    });
    await spy.check({ issuer: idp.issuer });
    expect(accept).toBe('application/json');
  });
});

describe('what the IdP does not offer', () => {
  test('an algorithm the IdP does not sign with fails the algorithm check', async () => {
    const report = await fresh(idp.issuer, { idTokenSignedResponseAlg: 'RS384' });
    expect(report.status).toBe('fail');
    expect(checkOf(report, 'id_token_signing_alg')).toMatchObject({
      status: 'fail',
      message: 'The IdP signs ID tokens with RS256; you chose RS384, which it does not offer.',
    });
  });

  test('an auth method the token endpoint does not accept fails the auth-method check', async () => {
    const report = await fresh(idp.issuer, { tokenEndpointAuthMethod: 'tls_client_auth' });
    expect(report.status).toBe('fail');
    const check = checkOf(report, 'token_endpoint_auth_method');
    expect(check.status).toBe('fail');
    expect(check.message).toMatch(
      /^The IdP accepts client_secret_basic, .* at its token endpoint; you chose tls_client_auth, which it does not accept\.$/,
    );
  });

  test('an HS* algorithm needs no key and warns that the client secret is the key', async () => {
    const server = await serve((origin) => ({
      ...providerDocumentAt(origin),
      id_token_signing_alg_values_supported: ['RS256', 'HS256'],
    }));
    const report = await fresh(server.url, { idTokenSignedResponseAlg: 'HS256' });
    expect(report.status).toBe('warn');
    expect(checkOf(report, 'id_token_signing_alg').status).toBe('pass');
    expect(checkOf(report, 'jwks').status).toBe('warn');
    expect(checkOf(report, 'jwks').message).toContain('signed with the client secret itself');
  });

  test('an extra scope the IdP does not list is a warning', async () => {
    const report = await fresh(idp.issuer, { additionalScope: 'offline_access groups' });
    expect(report.status).toBe('warn');
    expect(checkOf(report, 'additional_scopes')).toMatchObject({ status: 'warn' });
    expect(checkOf(report, 'additional_scopes').message).toMatch(
      /^The IdP does not list groups among its scopes/,
    );
  });
});

describe('the JWKS', () => {
  test('a document without jwks_uri fails the endpoint and JWKS checks', async () => {
    const server = await serve((origin) => {
      const { jwks_uri: _dropped, ...rest } = providerDocumentAt(origin);
      return rest;
    });
    const report = await fresh(server.url);
    expect(report.status).toBe('fail');
    expect(checkOf(report, 'endpoints')).toMatchObject({ status: 'fail' });
    expect(checkOf(report, 'endpoints').message).toContain('there is no jwks_uri');
    expect(checkOf(report, 'jwks')).toMatchObject({
      status: 'fail',
      message: 'The discovery document has no jwks_uri, so the signatures of ID tokens cannot be verified.',
    });
    expect(report.evidence?.jwksKeyIds).toEqual([]);
  });

  test('a JWKS URL answering 404 fails the JWKS check', async () => {
    const server = await serve((origin) => ({
      ...providerDocumentAt(origin),
      jwks_uri: `${origin}/keys-gone`,
    }));
    const report = await fresh(server.url);
    expect(report.status).toBe('fail');
    expect(checkOf(report, 'endpoints').status).toBe('pass');
    const jwks = checkOf(report, 'jwks');
    expect(jwks.status).toBe('fail');
    expect(jwks.message).toContain('answered HTTP 404');
    expect(jwks.details).toMatchObject({ httpStatus: 404 });
    expect(server.hits.get('/keys-gone')).toBe(1);
  });

  test('a JWKS with only an encryption key has no key usable for RS256', async () => {
    const server = await serve(
      (origin) => ({ ...providerDocumentAt(origin), jwks_uri: `${origin}/certs` }),
      () => ({
        '/certs': {
          body: { keys: [{ kty: 'RSA', use: 'enc', alg: 'RSA-OAEP', kid: 'enc-1', n: 'AQAB', e: 'AQAB' }] },
        },
      }),
    );
    const report = await fresh(server.url);
    expect(checkOf(report, 'jwks')).toMatchObject({
      status: 'fail',
      message: 'The JWKS has 1 key (RSA enc RSA-OAEP), none of which is an RSA signing key for RS256.',
    });
    expect(report.evidence?.jwksKeyIds).toEqual(['enc-1']);
  });
});

describe('the issuer', () => {
  test('a document naming another issuer fails the issuer check, showing both values', async () => {
    const server = await serve((origin) => ({
      ...providerDocumentAt(origin),
      issuer: 'https://idp.other.example',
    }));
    const report = await fresh(server.url);
    expect(report.status).toBe('fail');
    const check = checkOf(report, 'issuer_match');
    expect(check.status).toBe('fail');
    expect(check.message).toBe(
      `The document at ${server.url} says its issuer is https://idp.other.example, not ${server.url}; ID tokens would carry the other value and be refused. Check that you entered the right issuer.`,
    );
    expect(check.details).toEqual({ requested: server.url, discovered: 'https://idp.other.example' });
  });

  test('a mismatch only in a trailing slash is explained, and the discovered issuer is the one used', async () => {
    const server = await serve((origin) => ({ ...providerDocumentAt(origin), issuer: `${origin}/` }));
    const report = await fresh(server.url);
    expect(report.status).toBe('warn');
    expect(report.issuer).toEqual({ requested: server.url, discovered: `${server.url}/` });
    expect(checkOf(report, 'issuer_match').message).toBe(
      `The IdP names its issuer ${server.url}/ (with a trailing slash); ID tokens carry exactly that value, so it is the one that will be used instead of ${server.url}.`,
    );
  });

  test('an http issuer fails the syntax check and nothing is requested', async () => {
    const server = await serve((origin) => providerDocumentAt(origin));
    const httpIssuer = server.url.replace('https:', 'http:');
    const report = await fresh(httpIssuer);
    expect(report.status).toBe('fail');
    expect(checkOf(report, 'issuer_url')).toMatchObject({ status: 'fail' });
    expect(checkOf(report, 'issuer_url').message).toContain('uses http; issuers must use https');
    expect(report.checks.slice(1).every((c) => c.status === 'skip')).toBe(true);
    expect(report.metadata).toBeNull();
    expect(report.evidence).toBeNull();
    expect(server.connections).toBe(0);
  });

  test('an issuer the network policy refuses fails the policy check without contacting it', async () => {
    const server = await serve((origin) => providerDocumentAt(origin));
    const strict = createOutboundFetch({
      allowlist: { hosts: [], cidrs: [] },
      allowHttp: false,
      timeoutMs: TIMEOUT_MS,
      ca: testCertificates().caPem,
    });
    try {
      const report = await createDiscoveryValidator({
        fetch: strict,
        cacheTtlMs: 0,
        maxCacheEntries: 0,
      }).check({
        issuer: server.url,
      });
      expect(report.status).toBe('fail');
      expect(checkOf(report, 'network_policy')).toMatchObject({
        status: 'fail',
        details: { reason: 'address' },
      });
      expect(checkOf(report, 'network_policy').message).toMatch(/^The network policy refuses to contact /);
      expect(checkOf(report, 'document_fetched').status).toBe('skip');
      expect(server.connections).toBe(0);
    } finally {
      await strict.close();
    }
  });
});

describe('the document', () => {
  test('a document that is not JSON fails the document check', async () => {
    const server = await startStaticServer(() => ({
      '/.well-known/openid-configuration': {
        body: '<!doctype html><title>Sign in</title>',
        headers: { 'content-type': 'text/html' },
      },
    }));
    servers.push(server);
    const report = await fresh(server.url);
    expect(report.status).toBe('fail');
    expect(checkOf(report, 'network_policy').status).toBe('pass');
    expect(checkOf(report, 'document_fetched')).toMatchObject({ status: 'fail' });
    expect(checkOf(report, 'document_fetched').message).toContain('not JSON (content type text/html)');
    expect(checkOf(report, 'issuer_match').status).toBe('skip');
  });

  test('a missing document fails the document check with the HTTP status', async () => {
    const server = await startStaticServer(() => ({}));
    servers.push(server);
    const report = await fresh(`${server.url}/realms/wrong`);
    expect(checkOf(report, 'document_fetched')).toMatchObject({
      status: 'fail',
      details: { httpStatus: 404 },
    });
  });

  test('a document over 1 MB fails the document check', async () => {
    const huge = (origin: string) => ({ ...providerDocumentAt(origin), padding: 'x'.repeat(1024 * 1024) });
    const server = await serve(huge);
    const report = await fresh(server.url);
    expect(report.status).toBe('fail');
    expect(checkOf(report, 'document_fetched')).toMatchObject({
      status: 'fail',
      details: { reason: 'too_large' },
    });
    expect(checkOf(report, 'document_fetched').message).toContain('larger than 1 MB');
  });

  test('a server that never answers fails the document check in time, and other checks are answered meanwhile', async () => {
    const hanging = await startStaticServer(() => ({ '/.well-known/openid-configuration': { hang: true } }));
    servers.push(hanging);
    const started = Date.now();
    let goodFinishedAt = 0;
    const slow = fresh(hanging.url);
    const good = fresh(idp.issuer).then((r) => {
      goodFinishedAt = Date.now();
      return r;
    });
    const [slowReport, goodReport] = await Promise.all([slow, good]);
    const slowFinishedAt = Date.now();

    expect(goodReport.status).toBe('pass');
    expect(goodFinishedAt).toBeLessThan(slowFinishedAt);
    expect(checkOf(slowReport, 'document_fetched')).toMatchObject({
      status: 'fail',
      details: { reason: 'timeout' },
    });
    expect(checkOf(slowReport, 'document_fetched').message).toMatch(/^The IdP did not answer .* in time/);
    expect(slowFinishedAt - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(slowFinishedAt - started).toBeLessThan(TIMEOUT_MS + 2_000);
  });
});

describe('cache and metrics', () => {
  test('a second check reuses the document and JWKS; refresh fetches them again', async () => {
    const server = await serve(
      (origin) => ({ ...providerDocumentAt(origin), jwks_uri: `${origin}/certs` }),
      () => ({ '/certs': { body: providerJwks } }),
    );
    const own = createDiscoveryValidator({ fetch: outbound, cacheTtlMs: 60_000, maxCacheEntries: 10 });
    const first = await own.check({ issuer: server.url });
    const second = await own.check({ issuer: server.url });
    expect([first.cached, second.cached]).toEqual([false, true]);
    expect(second.evidence).toEqual(first.evidence);
    expect(second.status).toBe('pass');
    expect(server.hits.get('/.well-known/openid-configuration')).toBe(1);
    expect(server.hits.get('/certs')).toBe(1);

    const refreshed = await own.check({ issuer: server.url, refresh: true });
    expect(refreshed.cached).toBe(false);
    expect(server.hits.get('/.well-known/openid-configuration')).toBe(2);
    expect(server.hits.get('/certs')).toBe(2);
  });

  test('latency and check outcomes are recorded as metrics, without issuers in the labels', async () => {
    const registry = new Registry();
    const measured = createDiscoveryValidator({
      fetch: outbound,
      cacheTtlMs: 0,
      maxCacheEntries: 0,
      metrics: registry,
    });
    await measured.check({ issuer: idp.issuer });
    await measured.check({ issuer: 'ftp://idp.example' });
    const text = await registry.metrics();
    expect(text).toContain('discovery_check_duration_seconds_count{status="pass",cached="false"} 1');
    expect(text).toContain('discovery_check_duration_seconds_count{status="fail",cached="false"} 1');
    expect(text).toContain('discovery_check_outcomes_total{check="jwks",status="pass"} 1');
    expect(text).toContain('discovery_check_outcomes_total{check="issuer_url",status="fail"} 1');
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain('idp.example');
  });
});
