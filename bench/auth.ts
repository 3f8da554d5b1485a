/**
 * Authentication cost per request (issue 7, target 6): the authenticator as the auth hook calls it,
 * with the verified-key cache (the default, AUTH_CACHE_TTL_SECONDS=5) and without it (0: a database
 * read per request, the baseline, same run), over ROUNDS rounds (median).
 *
 *   npm run bench:auth            (BENCH_DATABASE_URL to use a server)
 */
import { createAuthenticator } from '../src/modules/auth/authenticator.js';
import { PLATFORM_KEY, startBenchApp } from './support/app.js';
import { machine, percentile } from './support/environment.js';
import { writeSection } from './support/report.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const log = (msg: string) => process.stderr.write(`[bench:auth] ${msg}\n`);

const bench = await startBenchApp('auth');
const { container } = bench;

/** `calls` authentications in a row; mean and p99 in milliseconds. */
async function measure(authenticate: (token: string) => Promise<unknown>, token: string, calls: number) {
  for (let i = 0; i < Math.min(1000, calls); i += 1) await authenticate(token);
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < calls; i += 1) {
    const t0 = performance.now();
    if (!(await authenticate(token))) throw new Error('the key was refused');
    times.push(performance.now() - t0);
  }
  const mean = (performance.now() - started) / calls;
  times.sort((a, b) => a - b);
  return { mean, p99: percentile(times, 99) };
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

try {
  const created = await bench.call('POST', '/v1/tenants', PLATFORM_KEY, { slug: 'auth', name: 'Auth' });
  const token: string = created.adminKey.token;
  const cached = createAuthenticator(container.database.db, { cacheTtlMs: 5000 });
  const uncached = createAuthenticator(container.database.db, { cacheTtlMs: 0 });
  type Round = { mean: number; p99: number };
  const rounds: { cached: Round[]; uncached: Round[] } = { cached: [], uncached: [] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    const c = await measure((t) => cached.authenticate(t), token, 100_000);
    const u = await measure((t) => uncached.authenticate(t), token, 2_000);
    rounds.cached.push(c);
    rounds.uncached.push(u);
    log(
      `round ${round}: cached mean ${(c.mean * 1000).toFixed(1)} µs (p99 ${(c.p99 * 1000).toFixed(1)} µs); database read per request ${(u.mean * 1000).toFixed(0)} µs`,
    );
  }
  const c = { mean: median(rounds.cached.map((r) => r.mean)), p99: median(rounds.cached.map((r) => r.p99)) };
  const u = {
    mean: median(rounds.uncached.map((r) => r.mean)),
    p99: median(rounds.uncached.map((r) => r.p99)),
  };
  const µs = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  await writeSection(
    'auth',
    `## Authentication per request

${new Date().toISOString().slice(0, 10)} · ${machine()} · \`npm run bench:auth\`

The authenticator as the auth hook calls it for every request (token parsed, SHA-256 digest, key checked,
principal built), one call after another; median of ${ROUNDS} rounds. Baseline (same run): the same key with the
cache off (\`AUTH_CACHE_TTL_SECONDS=0\`), which reads the key from the database on every request.

| authenticator | mean per request | p99 | ratio to baseline |
| --- | --- | --- | --- |
| cached (default, 5 s) | ${µs(c.mean)} | ${µs(c.p99)} | ${(c.mean / u.mean).toFixed(3)}× |
| database read per request (baseline) | ${µs(u.mean)} | ${µs(u.p99)} | 1.000× |

Revocation takes effect at once through the process that revokes, and within \`AUTH_CACHE_TTL_SECONDS\` (default 5 s)
in other processes of the same database; expiry is checked on every request.`,
  );
} finally {
  await bench.close();
}
