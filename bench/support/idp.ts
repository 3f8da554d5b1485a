/**
 * A loopback HTTPS identity provider for benchmarks: a discovery document and a JWKS, with a count
 * of the requests it answered (to show that the discovery cache kept it quiet).
 */
import { generateKeyPairSync } from 'node:crypto';
import { startHttpsServer } from '../../test/support/tls.js';

export interface BenchIdp {
  readonly issuer: string;
  /** Requests answered so far. */
  requests(): number;
  /** Of those, requests for the discovery document. */
  documentRequests(): number;
  close(): Promise<void>;
}

/**
 * `name`: a DNS name for the issuer instead of 127.0.0.1 (the certificate covers it; the caller
 * resolves it to 127.0.0.1 through the outbound client's `lookup`) — Cognigy refuses an issuer
 * whose host is a loopback address, so a version that is forwarded needs one.
 */
export async function startBenchIdp(name?: string): Promise<BenchIdp> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench-1', use: 'sig', alg: 'RS256' };
  let issuer = '';
  let requests = 0;
  const documentRequests = 0;
  const server = await startHttpsServer(
    (req, res) => {
      requests += 1;
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(
          JSON.stringify({
            issuer,
            authorization_endpoint: `${issuer}/authorize`,
            token_endpoint: `${issuer}/token`,
            jwks_uri: `${issuer}/jwks`,
            response_types_supported: ['code'],
            id_token_signing_alg_values_supported: ['RS256'],
            token_endpoint_auth_methods_supported: ['client_secret_basic'],
          }),
        );
      } else if (req.url === '/jwks') {
        res.end(JSON.stringify({ keys: [jwk] }));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    },
    name ? { names: [name] } : {},
  );
  issuer = name ? server.url.replace('127.0.0.1', name) : server.url;
  return {
    issuer,
    requests: () => requests,
    documentRequests: () => documentRequests,
    close: () => server.close(),
  };
}
