/**
 * Many loopback OIDC issuers behind one HTTPS server (for the watch's benchmark): issuer n is
 * `https://127.0.0.1:<port>/t/<n>`, with its discovery document and its JWKS, and the server counts
 * the requests for each issuer's document and JWKS (the watch must read each once per round).
 * `rotate(n)` replaces issuer n's signing key id, as an IdP rotating its keys does.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:https';
import { testCertificates } from '../../test/support/tls.js';

export interface ManyIssuers {
  readonly base: string;
  readonly count: number;
  issuer(n: number): string;
  rotate(n: number): void;
  readonly port: number;
  /** Requests for each issuer's document and JWKS since the last reset, by issuer number. */
  counts(): { documents: number[]; jwks: number[]; other: number };
  reset(): void;
  close(): Promise<void>;
}

/**
 * `port`: listen there (a database seeded by an earlier run names its issuers with their port);
 * `tls`: the server's certificate (one the service trusts).
 */
export async function startManyIssuers(
  count: number,
  port = 0,
  tls: { certPem: string; keyPem: string } = testCertificates(),
): Promise<ManyIssuers> {
  // One key for all (making 200 RSA keys would only slow the start); each issuer has its own key id.
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const generation = new Array<number>(count).fill(1);
  let documents = new Array<number>(count).fill(0);
  let jwks = new Array<number>(count).fill(0);
  let other = 0;
  let base = '';
  const route = /^\/t\/(\d+)\/(\.well-known\/openid-configuration|jwks)$/;

  const { certPem, keyPem } = tls;
  const server = createServer({ cert: certPem, key: keyPem }, (req, res) => {
    const match = route.exec(req.url ?? '');
    const n = match ? Number(match[1]) : -1;
    res.setHeader('content-type', 'application/json');
    if (!match || n >= count) {
      other += 1;
      res.statusCode = 404;
      res.end('{}');
      return;
    }
    const issuer = `${base}/t/${n}`;
    if (match[2] === 'jwks') {
      jwks[n] = (jwks[n] as number) + 1;
      res.end(
        JSON.stringify({ keys: [{ ...jwk, kid: `idp-${n}-k${generation[n]}`, use: 'sig', alg: 'RS256' }] }),
      );
      return;
    }
    documents[n] = (documents[n] as number) + 1;
    res.end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const listening = typeof address === 'object' && address ? address.port : port;
  base = `https://127.0.0.1:${listening}`;

  return {
    base,
    count,
    port: listening,
    issuer: (n) => `${base}/t/${n}`,
    rotate(n) {
      generation[n] = (generation[n] as number) + 1;
    },
    counts: () => ({ documents: [...documents], jwks: [...jwks], other }),
    reset() {
      documents = new Array<number>(count).fill(0);
      jwks = new Array<number>(count).fill(0);
      other = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
