/**
 * What the watch tests share: a real oidc-provider on loopback HTTPS whose configuration the test
 * changes while the service watches it (rotate its signing key, drop an algorithm, stop it, start it
 * again on the same port), counting the discovery documents and JWKS it serves; and a SAML
 * certificate that expires in a given number of days.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { testCertificates } from '../../support/tls.js';
import { CLIENT_ID, CLIENT_SECRET, REDIRECT_URI } from '../discovery/idp-servers.js';

export interface ProviderSettings {
  /** The signing key's kid (a new kid is a rotation). */
  readonly kid: string;
  /** The ID token algorithms the provider advertises (and its key is for). */
  readonly algs: readonly string[];
  /** The client's secret at the provider (default CLIENT_SECRET): another one rejects ours. */
  readonly clientSecret?: string;
}

export interface ControlledIdp {
  readonly issuer: string;
  /** Discovery documents and JWKS served so far. */
  readonly served: { documents: number; jwks: number; token: number };
  /** Replaces the provider behind the same issuer (a key rotation, an algorithm dropped …). */
  reconfigure(settings: ProviderSettings): void;
  /** Stops listening (connections refused) until `start`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

function provider(issuer: string, settings: ProviderSettings) {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return new Provider(issuer, {
    clients: [
      {
        client_id: CLIENT_ID,
        client_secret: settings.clientSecret ?? CLIENT_SECRET,
        redirect_uris: [REDIRECT_URI],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [{ ...key, kid: settings.kid, use: 'sig', alg: settings.algs[0] }] },
    enabledJWA: { idTokenSigningAlgValues: [...settings.algs] },
    cookies: { keys: ['cookie-key-for-tests'] },
    features: { devInteractions: { enabled: false } },
  }).callback();
}

export async function startControlledIdp(
  settings: ProviderSettings = { kid: 'key-1', algs: ['RS256'] },
): Promise<ControlledIdp> {
  const certs = testCertificates();
  const sockets = new Set<Socket>();
  const served = { documents: 0, jwks: 0, token: 0 };
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end();
  const server: Server = createServer({ cert: certs.certPem, key: certs.keyPem }, (req, res) => {
    if (req.url?.startsWith('/.well-known/openid-configuration')) served.documents += 1;
    if (req.url?.startsWith('/jwks')) served.jwks += 1;
    if (req.url?.startsWith('/token')) served.token += 1;
    handler(req, res);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  server.on('tlsClientError', () => {});
  const listen = (port: number) =>
    new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  await listen(0);
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  const port = address.port;
  const issuer = `https://127.0.0.1:${port}`;
  handler = provider(issuer, settings);
  return {
    issuer,
    served,
    reconfigure(next) {
      handler = provider(issuer, next);
    },
    stop,
    start: () => listen(port),
    close: stop,
  };
}

/** A self-signed certificate (PEM) that expires in `days` days. */
export function certificateExpiringIn(days: number, name = 'idp.watch.test'): string {
  const dir = mkdtempSync(join(tmpdir(), 'watch-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        String(days),
        '-subj',
        `/CN=${name}`,
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return readFileSync(join(dir, 'c.pem'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
