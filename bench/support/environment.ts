/**
 * What every benchmark shares: a PostgreSQL server (BENCH_DATABASE_URL, an admin URL, or an
 * embedded one in a temporary folder), a fresh database per run, the machine description for
 * BENCHMARKS.md, and small statistics helpers.
 */
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  embeddedBinariesDir,
  freePort,
  letPostgresUserReach,
  loadEmbeddedPostgres,
} from '../../src/db/embedded-postgres.js';

export interface BenchDatabase {
  readonly url: string;
  close(): Promise<void>;
}

export async function benchDatabase(label: string): Promise<BenchDatabase> {
  let adminUrl = process.env.BENCH_DATABASE_URL;
  let stopServer = async () => undefined;
  if (!adminUrl) {
    const EmbeddedPostgres = await loadEmbeddedPostgres();
    const dir = await mkdtemp(join(tmpdir(), 'sso-bench-pg-'));
    await chmod(dir, 0o755);
    await letPostgresUserReach([dir, embeddedBinariesDir()]);
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: join(dir, 'data'),
      port,
      user: 'postgres',
      password: 'bench',
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'shared_buffers=256MB'],
      onLog: () => undefined,
    });
    await server.initialise();
    await server.start();
    adminUrl = `postgresql://postgres:bench@127.0.0.1:${port}/postgres`;
    stopServer = async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const name = `bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async close() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
      await stopServer();
    },
  };
}

export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {}
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Node ${process.version}, commit ${commit}, load average at the end ${load} (1/5/15 min)`;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/** Runs `fn` `runs` times after `warmup` runs; returns p50 and p99 in milliseconds. */
export async function latency(fn: () => Promise<unknown>, runs = 100, warmup = 10) {
  for (let i = 0; i < warmup; i += 1) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

export const ms = (n: number) => `${n.toFixed(2)} ms`;

/** Runs `fn` and says how long it took, in seconds. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const started = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - started) / 1000 };
}
