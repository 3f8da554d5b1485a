/**
 * The cost of the outbound network policy (§8, issue 4): the same HTTPS GET of a 2 kB JSON document
 * from a loopback server, through `createOutboundFetch` (resolve, check every address, pinned
 * connection, redirect handling, capped body) and through a plain undici fetch with the same CA and
 * keep-alive (baseline, same run). Sequential requests, so the figure is added latency, not
 * throughput under contention.
 *
 *   npm run bench:outbound
 */
import { Agent, fetch as undiciFetch } from 'undici';
import { createOutboundFetch } from '../src/modules/outbound/outbound-client.js';
import { startHttpsServer, testCertificates } from '../test/support/tls.js';
import { latency, machine, ms } from './support/environment.js';
import { writeSection } from './support/report.js';

const RUNS = Number(process.env.RUNS ?? 2000);
const body = JSON.stringify({ issuer: 'https://idp.example', keys: 'x'.repeat(2000) });
const server = await startHttpsServer((_req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(body);
});
const url = `${server.url}/.well-known/openid-configuration`;
const certs = testCertificates();

const outbound = createOutboundFetch({
  allowlist: { hosts: [], cidrs: ['127.0.0.1/32'] },
  allowHttp: false,
  timeoutMs: 5000,
  ca: certs.caPem,
});
const agent = new Agent({ connect: { ca: certs.caPem } });

try {
  const rounds: Array<{ plain: number; policy: number; plainP99: number; policyP99: number }> = [];
  for (let round = 0; round < 5; round += 1) {
    const plain = await latency(
      async () => {
        const res = await undiciFetch(url, { dispatcher: agent });
        await res.text();
      },
      RUNS / 5,
      50,
    );
    const policy = await latency(
      async () => {
        const res = await outbound(url);
        await res.text();
      },
      RUNS / 5,
      50,
    );
    rounds.push({ plain: plain.p50, policy: policy.p50, plainP99: plain.p99, policyP99: policy.p99 });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
  const plain = median(rounds.map((r) => r.plain));
  const policy = median(rounds.map((r) => r.policy));
  const plainP99 = median(rounds.map((r) => r.plainP99));
  const policyP99 = median(rounds.map((r) => r.policyP99));
  process.stderr.write(`[bench:outbound] plain ${ms(plain)} p50, policy ${ms(policy)} p50\n`);
  await writeSection(
    'outbound',
    `## Outbound network policy

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:outbound\`

HTTPS GET of a 2 kB JSON document from a loopback server, ${RUNS} sequential requests in 5 rounds
(median of the rounds' percentiles), keep-alive on both sides:

| client | p50 | p99 | ratio to baseline (p50) |
| --- | --- | --- | --- |
| plain undici fetch, same CA (baseline) | ${ms(plain)} | ${ms(plainP99)} | 1.00× |
| \`createOutboundFetch\` (DNS check, pinned address, capped body) | ${ms(policy)} | ${ms(policyP99)} | ${(policy / plain).toFixed(2)}× |

Added latency of the policy layer: ${ms(policy - plain)} per request (p50).
`,
  );
} finally {
  await outbound.close();
  await agent.close();
  await server.close();
}
