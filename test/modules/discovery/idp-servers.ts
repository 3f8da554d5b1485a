/**
 * Identity providers for the discovery tests, all on loopback over real TLS (the test CA of
 * test/support/tls.ts, trusted through the outbound client's `ca` option and allow-list):
 * - a real oidc-provider 9 with one confidential client,
 * - a static server answering fixed routes (documents a real provider would never serve),
 * - the fixtures of test/fixtures/idp/ with their URLs rewritten to the loopback server.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import Provider from 'oidc-provider';
import { createOutboundFetch, type OutboundClient } from '../../../src/modules/outbound/outbound-client.js';
import { startHttpServer, startHttpsServer, type TestServer, testCertificates } from '../../support/tls.js';

/** The outbound policy as the tests use it: loopback allowed, the test CA trusted, TLS verified. */
export function loopbackFetch(options: { timeoutMs?: number; allowHttp?: boolean } = {}): OutboundClient {
  return createOutboundFetch({
    allowlist: { hosts: [], cidrs: ['127.0.0.1/32'] },
    allowHttp: options.allowHttp ?? false,
    timeoutMs: options.timeoutMs ?? 5_000,
    ca: testCertificates().caPem,
  });
}

export const CLIENT_ID = 'cognigy-sso';
export const CLIENT_SECRET = 'right-secret-3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c1e';
export const REDIRECT_URI = 'https://api-trial.cognigy.ai/auth/oidc/login/callback/5f1a2b3c4d5e6f7a8b9c0d1e';

export interface OidcProviderServer {
  readonly issuer: string;
  readonly server: TestServer;
  close(): Promise<void>;
}

/** A real oidc-provider on loopback HTTPS, signing with one RSA key (kid `signing-key-1`). */
export async function startOidcProvider(): Promise<OidcProviderServer> {
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server = await startHttpsServer((req, res) => handler(req, res));
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(server.url, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...key, kid: 'signing-key-1', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['cookie-key-for-tests'] },
    features: { devInteractions: { enabled: false } },
  });
  handler = provider.callback();
  return { issuer: server.url, server, close: () => server.close() };
}

export interface StaticRoute {
  readonly status?: number;
  readonly headers?: Record<string, string>;
  /** A string or a JSON value; a function gets the server's origin. */
  readonly body?: unknown;
  /** Never answer (the connection stays open until the server closes). */
  readonly hang?: boolean;
}

export interface StaticServer extends TestServer {
  /** Requests received per path. */
  readonly hits: Map<string, number>;
}

/**
 * An HTTPS (or, with `http: true`, HTTP) server answering `routes(origin)` by path; anything else
 * is 404. The origin is known only once it listens, so routes are built from it.
 */
export async function startStaticServer(
  routes: (origin: string) => Record<string, StaticRoute>,
  options: { http?: boolean } = {},
): Promise<StaticServer> {
  let table: Record<string, StaticRoute> = {};
  const hits = new Map<string, number>();
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'https://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = table[path];
    if (!route) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
      return;
    }
    if (route.hang) return;
    const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body ?? {});
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json', ...route.headers }).end(body);
  };
  const server = await (options.http ? startHttpServer(handler) : startHttpsServer(handler));
  table = routes(server.url);
  return {
    url: server.url,
    host: server.host,
    port: server.port,
    server: server.server,
    hits,
    get requests() {
      return server.requests;
    },
    get connections() {
      return server.connections;
    },
    close: () => server.close(),
  };
}

const FIXTURES = fileURLToPath(new URL('../../fixtures/idp/', import.meta.url));

/** Every `https://host` becomes `<origin>/host`: the provider's URLs, served on loopback. */
export function rewriteUrls(text: string, origin: string): string {
  return text.replace(/https:\/\/([a-z0-9.-]+)/gi, (_match, host: string) => `${origin}/${host}`);
}

export type FixtureName =
  | 'auth0'
  | 'entra-tenant'
  | 'entra-common'
  | 'google'
  | 'okta-org'
  | 'okta-custom'
  | 'onelogin'
  | 'keycloak'
  | 'cognito';

/** Where each provider publishes its discovery document (before rewriting). */
export const FIXTURE_DOCUMENT_URLS: Record<FixtureName, string> = {
  auth0: 'https://example-tenant.eu.auth0.com/.well-known/openid-configuration',
  'entra-tenant':
    'https://login.microsoftonline.com/7f3c9a12-4b6e-4d8f-9a31-2c5e8b0d6f47/v2.0/.well-known/openid-configuration',
  'entra-common': 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
  google: 'https://accounts.google.com/.well-known/openid-configuration',
  'okta-org': 'https://example.okta.com/.well-known/openid-configuration',
  'okta-custom': 'https://example.okta.com/oauth2/default/.well-known/openid-configuration',
  onelogin: 'https://example.onelogin.com/oidc/2/.well-known/openid-configuration',
  keycloak: 'https://sso.example.com/realms/cognigy/.well-known/openid-configuration',
  cognito:
    'https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Ab3dE5fGh/.well-known/openid-configuration',
};

export function readFixture(name: FixtureName, file: 'openid-configuration.json' | 'jwks.json'): string {
  return readFileSync(`${FIXTURES}${name}/${file}`, 'utf8');
}

/** One HTTPS server publishing every fixture (document and JWKS) under its rewritten URLs. */
export async function startFixtureServer(): Promise<StaticServer> {
  return startStaticServer((origin) => {
    const routes: Record<string, StaticRoute> = {};
    for (const [name, documentUrl] of Object.entries(FIXTURE_DOCUMENT_URLS) as [FixtureName, string][]) {
      const document = rewriteUrls(readFixture(name, 'openid-configuration.json'), origin);
      const jwksUri = (JSON.parse(document) as { jwks_uri: string }).jwks_uri;
      routes[new URL(rewriteUrls(documentUrl, origin)).pathname] = { body: document };
      routes[new URL(jwksUri).pathname] = {
        body: readFixture(name, 'jwks.json'),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      };
    }
    return routes;
  });
}
