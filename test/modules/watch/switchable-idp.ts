/**
 * An IdP for the watch tests that turns hostile on demand: a real oidc-provider on loopback HTTPS
 * (the test CA) while healthy — slow if asked, its signing key rotatable — and, once switched, a
 * discovery document that never comes, is 5 MB, is HTML, or redirects elsewhere. It counts the
 * documents and JWKS asked for, so a test can tell what was fetched when.
 */
import { generateKeyPairSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Provider from 'oidc-provider';
import { startHttpsServer, type TestServer } from '../../support/tls.js';
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } from '../discovery/idp-servers.js';

export const DOCUMENT_PATH = '/.well-known/openid-configuration';

export type IdpMode =
  | { readonly kind: 'healthy' }
  /** Accepts the request and never answers. */
  | { readonly kind: 'hang' }
  /** 200 with a 5 MB JSON-looking body, streamed without a Content-Length. */
  | { readonly kind: 'huge' }
  /** 200 with an HTML page. */
  | { readonly kind: 'html' }
  /** 302 to `location`. */
  | { readonly kind: 'redirect'; readonly location: string };

export interface SwitchableIdp {
  readonly issuer: string;
  readonly server: TestServer;
  /** Requests for the discovery document and the JWKS so far. */
  readonly served: { documents: number; jwks: number };
  /** Bytes of the 5 MB body written before the client hung up. */
  readonly hugeBytesWritten: number;
  /** How the discovery document is answered from now on. */
  mode: IdpMode;
  /** Healthy documents are answered after this long. */
  delayMs: number;
  /** A new signing key with this kid (a rotation). */
  rotate(kid: string): void;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function oidcProvider(issuer: string, kid: string): Handler {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...key, kid, use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['cookie-key-for-tests'] },
    features: { devInteractions: { enabled: false } },
  }).callback();
}

function streamHuge(res: ServerResponse, written: (n: number) => void): void {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.on('error', () => {});
  res.write('{"issuer":"');
  const chunk = 'x'.repeat(64 * 1024);
  let left = 80; // 5 MiB
  const pump = () => {
    while (left > 0) {
      left -= 1;
      written(chunk.length);
      if (!res.write(chunk)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end('"}');
  };
  pump();
}

export async function startSwitchableIdp(kid = 'key-1'): Promise<SwitchableIdp> {
  let provider: Handler = (_req, res) => res.end();
  let hugeBytesWritten = 0;
  const served = { documents: 0, jwks: 0 };
  const state = { mode: { kind: 'healthy' } as IdpMode, delayMs: 0 };
  const server = await startHttpsServer((req, res) => {
    const isDocument = req.url?.startsWith(DOCUMENT_PATH) ?? false;
    if (isDocument) served.documents += 1;
    if (req.url?.startsWith('/jwks')) served.jwks += 1;
    const mode = state.mode;
    if (!isDocument || mode.kind === 'healthy') {
      if (isDocument && state.delayMs > 0) setTimeout(() => provider(req, res), state.delayMs);
      else provider(req, res);
      return;
    }
    if (mode.kind === 'hang') return; // the socket stays open until the server closes
    if (mode.kind === 'huge') return streamHuge(res, (n) => (hugeBytesWritten += n));
    if (mode.kind === 'html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><html><body><h1>Welcome to the portal</h1></body></html>');
      return;
    }
    res.writeHead(302, { location: mode.location }).end();
  });
  provider = oidcProvider(server.url, kid);
  return {
    issuer: server.url,
    server,
    served,
    get hugeBytesWritten() {
      return hugeBytesWritten;
    },
    get mode() {
      return state.mode;
    },
    set mode(next: IdpMode) {
      state.mode = next;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(ms: number) {
      state.delayMs = ms;
    },
    rotate(next) {
      provider = oidcProvider(server.url, next);
    },
    close: () => server.close(),
  };
}
