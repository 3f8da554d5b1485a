/**
 * Forwarding throughput (issue 6): ORGS (default 10,000) approved orgs forwarded by one process's
 * worker to a fake Cognigy over HTTPS that answers in LATENCY_MS (50 ms), at the default concurrency
 * (64): forwards per second against the concurrency bound (64 / 0.05 s = 1,280/s), first without
 * faults, then with 10% transient faults (500, 503, 429 with Retry-After: 0, connection resets).
 *
 *   npm run bench:forwarding        (ORGS=10000; BENCH_DATABASE_URL to use a server)
 */
import { createOutboundFetch } from '../src/modules/outbound/outbound-client.js';
import { startFakeCognigy } from '../test/support/fake-cognigy.js';
import { testCertificates } from '../test/support/tls.js';
import { PLATFORM_KEY, startBenchApp } from './support/app.js';
import { machine } from './support/environment.js';
import { writeSection } from './support/report.js';

const ORGS = Number(process.env.ORGS ?? 10_000);
const LATENCY_MS = Number(process.env.LATENCY_MS ?? 50);
const log = (msg: string) => process.stderr.write(`[bench:forwarding] ${msg}\n`);

const fake = await startFakeCognigy({ https: true });
const bench = await startBenchApp('forwarding', {
  env: {
    OUTBOUND_ALLOWLIST: '127.0.0.1',
    DB_POOL_MAX: '20',
    FORWARDING_POLL_MS: '100',
    FORWARDING_BACKOFF_BASE_MS: '100',
    FORWARDING_BACKOFF_MAX_MS: '1000',
    // Every org here is on one installation: the per-installation bound is raised to the global one,
    // so that the concurrency bound measured is the issue's 64 / 50 ms.
    FORWARDING_PER_API_BASE: '64',
  },
  outbound: createOutboundFetch({
    allowlist: { hosts: [], cidrs: ['127.0.0.1/32'] },
    allowHttp: false,
    timeoutMs: 5000,
    ca: testCertificates().caPem,
    maxConnectionsPerOrigin: 64,
  }),
});
const { container, call } = bench;
const { config, database } = container;

async function succeeded(version: number): Promise<number> {
  const { rows } = await database.pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM deployments WHERE state = 'succeeded' AND version_number = $1`,
    [version],
  );
  return Number(rows[0]?.n ?? 0);
}

/** Starts the worker, waits until every org has `version` applied, stops it; forwards per second. */
async function forwardAll(version: number): Promise<{ seconds: number; perSecond: number }> {
  const started = performance.now();
  container.forwarder.start();
  let done = 0;
  while (done < ORGS) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    done = await succeeded(version);
    if ((performance.now() - started) / 1000 > 600)
      throw new Error(`only ${done} of ${ORGS} applied in 600 s`);
  }
  const seconds = (performance.now() - started) / 1000;
  await container.forwarder.stop();
  return { seconds, perSecond: ORGS / seconds };
}

try {
  const created = await call('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'bench', name: 'Bench' });
  const admin: string = created.adminKey.token;
  const editor: string = (await call('POST', '/v1/api-keys', admin, { name: 'e', roles: ['editor'] })).token;
  const approver: string = (await call('POST', '/v1/api-keys', admin, { name: 'a', roles: ['approver'] }))
    .token;
  const seedStarted = performance.now();
  for (let i = 0; i < ORGS; i += 1) {
    const org = await call('POST', '/v1/orgs', admin, {
      slug: `org-${i}`,
      name: `Org ${i}`,
      labels: { bench: 'yes' },
    });
    const apiKey = `bench-key-${i}-0123456789`;
    fake.addKey(apiKey, org.id);
    await call('PUT', `/v1/orgs/${org.id}/cognigy`, admin, { apiBase: fake.apiBase, apiKey });
    if ((i + 1) % 1000 === 0) log(`orgs: ${i + 1}/${ORGS}`);
  }
  const { certPem } = testCertificates();
  const approveVersion = async (issuer: string) => {
    const drafted = await call('POST', '/v1/sso/bulk', editor, {
      selector: { labels: { bench: 'yes' } },
      change: {
        kind: 'saml',
        idpIssuer: issuer,
        idpLoginEndpoint: 'https://idp.example.com/login',
        idpCertificate: certPem,
      },
    });
    const approved = await call('POST', '/v1/sso/bulk/approve', approver, { bulkId: drafted.bulkId });
    if (approved.summary.succeeded !== ORGS)
      throw new Error(`bulk approve: ${JSON.stringify(approved.summary)}`);
  };
  await approveVersion('urn:bench:v1');
  log(
    `seeded ${ORGS} orgs with an approved version in ${((performance.now() - seedStarted) / 1000).toFixed(0)} s`,
  );

  fake.setLatency(LATENCY_MS);
  const clean = await forwardAll(1);
  log(`no faults: ${ORGS} forwarded in ${clean.seconds.toFixed(1)} s = ${clean.perSecond.toFixed(0)}/s`);

  await approveVersion('urn:bench:v2');
  const callsBefore = fake.calls.length;
  fake.setFaultRate(0.1, [
    { kind: 'status', status: 500 },
    { kind: 'status', status: 503 },
    { kind: 'status', status: 429, retryAfter: '0' },
    { kind: 'reset' },
  ]);
  const faulty = await forwardAll(2);
  fake.setFaultRate(0, []);
  const calls = fake.calls.slice(callsBefore);
  const faults = calls.filter((c) => c.fault !== null && c.fault !== 'slow').length;
  log(
    `10% faults: ${ORGS} forwarded in ${faulty.seconds.toFixed(1)} s = ${faulty.perSecond.toFixed(0)}/s (${faults} faults in ${calls.length} calls)`,
  );

  const bound = config.forwarding.concurrency / (LATENCY_MS / 1000);
  const row = (name: string, r: { seconds: number; perSecond: number }) =>
    `| ${name} | ${r.seconds.toFixed(1)} s | ${r.perSecond.toFixed(0)}/s | ${((r.perSecond / bound) * 100).toFixed(0)}% |`;
  await writeSection(
    'forwarding',
    `## Forwarding approved versions to Cognigy

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:forwarding\`

${ORGS.toLocaleString('en')} orgs, each with one approved SAML version (enqueued by one bulk approval), forwarded by one
process's worker (concurrency ${config.forwarding.concurrency}, per API base ${config.forwarding.perApiBase}, all orgs on one fake Cognigy
installation over HTTPS on loopback answering in ${LATENCY_MS} ms). Each forward: claim, decrypt API key and secrets,
configure call, attempt record and deployment state in one transaction with its audit event. The
bound is the concurrency over the latency: ${config.forwarding.concurrency} / ${LATENCY_MS / 1000} s = ${bound.toFixed(0)}/s.

| run | wall time | forwards/s | of the bound |
| --- | --- | --- | --- |
${row('no faults', clean)}
${row(`10% transient faults (${faults} of ${calls.length} calls: 500, 503, 429, reset)`, faulty)}

Every org uses the same installation, so the per-installation limit (\`FORWARDING_PER_API_BASE\`, default 16) is
raised to 64 for this run (and the outbound pool to 64 connections per origin); with the default, one installation
is served at most 16 calls at a time (16 / ${LATENCY_MS / 1000} s = ${(16 / (LATENCY_MS / 1000)).toFixed(0)}/s).`,
  );
} finally {
  await bench.close();
  await fake.close();
}
