/**
 * Issuer validation (issue 4): checks per second with a warm discovery cache, and the first (cold)
 * check, against a loopback HTTPS identity provider (discovery document + JWKS), through the real
 * outbound policy. Sequential, one caller.
 *
 *   npm run bench:discovery
 */
import { Registry } from 'prom-client';
import { createDiscoveryValidator } from '../src/modules/discovery/discovery-validator.js';
import { latency, machine, ms } from './support/environment.js';
import { startBenchIdp } from './support/idp.js';
import { loopbackOutbound } from './support/loopback-outbound.js';
import { writeSection } from './support/report.js';

const RUNS = Number(process.env.RUNS ?? 5000);
const idp = await startBenchIdp();
const issuer = idp.issuer;

const outbound = loopbackOutbound();
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
  const before = idp.documentRequests();
  const started = performance.now();
  const warm = await latency(() => validator.check({ issuer }), RUNS, 100);
  const perSecond = (RUNS + 100) / ((performance.now() - started) / 1000);
  const fetched = idp.documentRequests() - before;
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
  await idp.close();
}
