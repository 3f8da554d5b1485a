/**
 * The credential probe against a real oidc-provider (right and wrong secret, both auth methods),
 * and against a recording server: the secret travels one way only and never comes back.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { DiscoveryReport } from '../../../src/modules/discovery/discovery-report.js';
import {
  createDiscoveryValidator,
  type DiscoveryValidator,
} from '../../../src/modules/discovery/discovery-validator.js';
import type { OutboundClient } from '../../../src/modules/outbound/outbound-client.js';
import { startHttpsServer, type TestServer } from '../../support/tls.js';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  loopbackFetch,
  type OidcProviderServer,
  REDIRECT_URI,
  startOidcProvider,
} from './idp-servers.js';

let idp: OidcProviderServer;
let outbound: OutboundClient;
let validator: DiscoveryValidator;

const probeOf = (report: DiscoveryReport) => report.checks.find((c) => c.name === 'credential_probe');

beforeAll(async () => {
  idp = await startOidcProvider();
  outbound = loopbackFetch();
  validator = createDiscoveryValidator({ fetch: outbound, cacheTtlMs: 60_000, maxCacheEntries: 10 });
});

afterAll(async () => {
  await idp?.close();
  await outbound?.close();
});

describe.each(['client_secret_basic', 'client_secret_post'] as const)('with %s', (method) => {
  test('the right secret passes: the IdP refuses only the made-up code (invalid_grant)', async () => {
    const report = await validator.check({
      issuer: idp.issuer,
      tokenEndpointAuthMethod: method,
      probe: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI },
    });
    expect(probeOf(report)).toEqual({
      name: 'credential_probe',
      status: 'pass',
      message:
        'The IdP accepted the client id and secret: it refused only the made-up authorization code (invalid_grant).',
      details: { method, tokenEndpoint: `${idp.issuer}/token`, httpStatus: 400, error: 'invalid_grant' },
    });
    expect(report.status).toBe('pass');
    expect(JSON.stringify(report)).not.toContain(CLIENT_SECRET);
  });

  test('a wrong secret fails: the IdP refuses the client (401)', async () => {
    const wrong = 'wrong-secret-0123456789abcdef';
    const report = await validator.check({
      issuer: idp.issuer,
      tokenEndpointAuthMethod: method,
      probe: { clientId: CLIENT_ID, clientSecret: wrong, redirectUri: REDIRECT_URI },
    });
    const probe = probeOf(report);
    expect(probe?.status).toBe('fail');
    expect(probe?.message).toMatch(/^The IdP refused the client id and secret \(HTTP 401/);
    expect(probe?.details).toMatchObject({ method, httpStatus: 401 });
    expect(report.status).toBe('fail');
    expect(JSON.stringify(report)).not.toContain(wrong);
  });

  test('an unknown client id fails like a wrong secret', async () => {
    const report = await validator.check({
      issuer: idp.issuer,
      tokenEndpointAuthMethod: method,
      probe: { clientId: 'no-such-client', clientSecret: CLIENT_SECRET },
    });
    expect(probeOf(report)?.status).toBe('fail');
  });
});

test('other auth methods are reported as not probeable, without a request', async () => {
  const before = idp.server.requests;
  const report = await validator.check({
    issuer: idp.issuer,
    tokenEndpointAuthMethod: 'private_key_jwt',
    probe: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
  });
  expect(probeOf(report)).toMatchObject({
    status: 'skip',
    message:
      'The credential probe can authenticate with client_secret_basic or client_secret_post only; with private_key_jwt it cannot probe.',
  });
  expect(report.cached).toBe(true);
  expect(idp.server.requests).toBe(before);
});

describe('what the probe sends', () => {
  let recorder: TestServer;
  const seen: Array<{ authorization: string | undefined; body: URLSearchParams }> = [];
  let answer: { status: number; body: unknown; headers?: Record<string, string> } = {
    status: 400,
    body: { error: 'invalid_grant' },
  };

  beforeAll(async () => {
    recorder = await startHttpsServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      if (url.pathname === '/.well-known/openid-configuration') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            issuer: recorder.url,
            authorization_endpoint: `${recorder.url}/authorize`,
            token_endpoint: `${recorder.url}/token`,
            jwks_uri: `${idp.issuer}/jwks`,
            response_types_supported: ['code'],
            id_token_signing_alg_values_supported: ['RS256'],
            token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
          }),
        );
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      seen.push({
        authorization: req.headers.authorization,
        body: new URLSearchParams(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });

  afterAll(async () => {
    await recorder?.close();
  });

  const probeWith = (method: 'client_secret_basic' | 'client_secret_post') =>
    validator.check({
      issuer: recorder.url,
      tokenEndpointAuthMethod: method,
      probe: { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri: REDIRECT_URI },
    });

  test('client_secret_basic sends the credentials in the Authorization header only', async () => {
    seen.length = 0;
    answer = { status: 400, body: { error: 'invalid_grant' } };
    await probeWith('client_secret_basic');
    expect(seen).toHaveLength(1);
    const [request] = seen;
    // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64 (openid-client encodes even "-")
    const [scheme, token] = (request?.authorization ?? '').split(' ');
    const [id, secret] = Buffer.from(token ?? '', 'base64')
      .toString('utf8')
      .split(':')
      .map(decodeURIComponent);
    expect([scheme, id, secret]).toEqual(['Basic', CLIENT_ID, CLIENT_SECRET]);
    expect(request?.body.get('client_secret')).toBeNull();
    expect(request?.body.get('grant_type')).toBe('authorization_code');
    expect(request?.body.get('redirect_uri')).toBe(REDIRECT_URI);
    expect(request?.body.get('code')).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  test('client_secret_post sends the credentials in the body only', async () => {
    seen.length = 0;
    await probeWith('client_secret_post');
    const [request] = seen;
    expect(request?.authorization).toBeUndefined();
    expect(request?.body.get('client_id')).toBe(CLIENT_ID);
    expect(request?.body.get('client_secret')).toBe(CLIENT_SECRET);
  });

  test('each probe uses a new random code', async () => {
    seen.length = 0;
    await probeWith('client_secret_post');
    await probeWith('client_secret_post');
    expect(seen[0]?.body.get('code')).not.toBe(seen[1]?.body.get('code'));
  });

  test.each([
    [{ status: 400, body: { error: 'invalid_client' } }, 'fail'],
    [{ status: 401, body: { error: 'unauthorized_client' } }, 'fail'],
    [{ status: 400, body: { error: 'invalid_request' } }, 'warn'],
    [{ status: 400, body: { error: 'unsupported_grant_type' } }, 'warn'],
    [{ status: 500, body: { message: 'oops' } }, 'warn'],
    [{ status: 200, body: { access_token: 'x', token_type: 'Bearer' } }, 'warn'],
    [{ status: 302, body: {}, headers: { location: 'https://127.0.0.1:1/elsewhere' } }, 'warn'],
  ])('an answer %j is classified as %s', async (given, expected) => {
    answer = given;
    seen.length = 0;
    const report = await probeWith('client_secret_basic');
    expect(probeOf(report)?.status).toBe(expected);
    expect(seen).toHaveLength(1);
    expect(JSON.stringify(report)).not.toContain(CLIENT_SECRET);
  });
});
