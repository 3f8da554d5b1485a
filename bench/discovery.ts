/**
 * Issuer validation (issue 4): checks per second with a warm discovery cache, and the first (cold)
 * check, against a loopback HTTPS identity provider (discovery document + JWKS), through the real
 * outbound policy. Sequential, one caller.
 *
 *   npm run bench:discovery
 */
import { generateKeyPairSync } from 'node:crypto';
import { Registry } from 'prom-client';
import { createDiscoveryValidator } from '../src/modules/discovery/discovery-validator.js';
import { createOutboundFetch } from '../src/modules/outbound/outbound-client.js';
import { startHttpsServer, testCertificates } from '../test/support/tls.js';
import { latency, machine, ms } from './support/environment.js';
import { writeSection } from './support/report.js';

const RUNS = Number(process.env.RUNS ?? 5000);
const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'bench-1', use: 'sig', alg: 'RS256' };
let issuer = '';
let documentRequests = 0;
const server = await startHttpsServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/.well-known/openid-configuration') {
    documentRequests += 1;
    res.end(
      JSON.stringify({
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        scopes_supported: ['openid', 'email', 'profile'],
      }),
    );
  } else if (req.url === '/jwks') {
    res.end(JSON.stringify({ keys: [jwk] }));
  } else {
    res.statusCode = 404;
    res.end('{}');
  }
});
issuer = server.url;

const outbound = createOutboundFetch({
  allowlist: { hosts: [], cidrs: ['127.0.0.1/32'] },
  allowHttp: false,
  timeoutMs: 5000,
  ca: testCertificates().caPem,
});
const validator = createDiscoveryValidator({
  fetch: outbound,
  cacheTtlMs: 3_600_000,
  maxCacheEntries: 1000,
  metrics: new Registry(),
});

try {
  const cold = await latency(() => validator.check({ issuer, refresh: true }), 200, 20);
  const first = await validator.check({ issuer, refresh: true });
  if (first.status !== 'pass')
    throw new Error(`the bench issuer does not pass: ${JSON.stringify(first.checks)}`);
  const before = documentRequests;
  const started = performance.now();
  const warm = await latency(() => validator.check({ issuer }), RUNS, 100);
  const perSecond = (RUNS + 100) / ((performance.now() - started) / 1000);
  const fetched = documentRequests - before;
  process.stderr.write(
    `[bench:discovery] warm ${Math.round(perSecond)} checks/s (p50 ${ms(warm.p50)}), cold p50 ${ms(cold.p50)}\n`,
  );
  await writeSection(
    'discovery',
    `## Issuer validation (discovery)

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:discovery\`

Full check (all 11 checks of the report) of a loopback HTTPS issuer through the outbound policy, sequential:

| case | p50 | p99 | throughput |
| --- | --- | --- | --- |
| cold (\`refresh: true\`: document and JWKS fetched) | ${ms(cold.p50)} | ${ms(cold.p99)} | ${Math.round(1000 / cold.p50)} checks/s |
| warm cache (${RUNS} checks) | ${ms(warm.p50)} | ${ms(warm.p99)} | ${Math.round(perSecond).toLocaleString('en')} checks/s |

During the warm run the IdP saw ${fetched} discovery requests (the cache answered the rest). The cold
figure is the baseline the cache is measured against: warm/cold p50 = ${(warm.p50 / cold.p50).toFixed(3)}.
`,
  );
} finally {
  await outbound.close();
  await server.close();
}
