/**
 * The processes a load benchmark talks to: the service as `npm start` runs it (built `dist/`), the
 * bare baseline server, and a sampler of a process's resident memory (from /proc).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../src/db/embedded-postgres.js';

export interface Spawned {
  readonly url: string;
  readonly pid: number;
  /** Milliseconds from spawn to the first 200 of the readiness URL. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

async function waitReady(child: ChildProcess, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`process exited with ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

async function spawnUntilReady(
  command: string,
  args: string[],
  env: Record<string, string>,
  readyPath: string,
  port: number,
  cwd = process.cwd(),
): Promise<Spawned> {
  const started = performance.now();
  const child = spawn(command, args, {
    env: { ...process.env, ...env, PORT: String(port) },
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitReady(child, `${url}${readyPath}`, 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  const readyMs = performance.now() - started;
  return {
    url,
    pid: child.pid as number,
    readyMs,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** The node flags of the `start` script in `dir`'s package.json (e.g. the heap bounds). */
export function startFlags(dir: string): string[] {
  const start = (
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts: { start: string } }
  ).scripts.start;
  const argv = start.trim().split(/\s+/);
  if (argv[0] !== 'node' || argv.at(-1) !== 'dist/src/server.js') {
    throw new Error(`unexpected start script in ${dir}: ${start}`);
  }
  return argv.slice(1, -1);
}

/**
 * The service as `npm start` runs it (`node <its flags> dist/src/server.js`) with `env`; `nodeArgs`
 * are added, e.g. `--cpu-prof`. Run in SERVICE_DIR when set: another checkout's build (the commit
 * before a change), with that checkout's own start flags, for before/after runs.
 */
export async function spawnService(env: Record<string, string>, nodeArgs: string[] = []): Promise<Spawned> {
  const dir = process.env.SERVICE_DIR ?? process.cwd();
  return spawnUntilReady(
    'node',
    [...startFlags(dir), ...nodeArgs, 'dist/src/server.js'],
    env,
    '/readyz',
    await freePort(),
    dir,
  );
}

export async function spawnBaseline(databaseUrl: string): Promise<Spawned> {
  return spawnUntilReady(
    'node',
    ['--import', 'tsx', 'bench/msp/baseline-server.ts'],
    { DATABASE_URL: databaseUrl },
    '/healthz',
    await freePort(),
  );
}

/** Resident set size of a process in bytes (Linux). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb * 1024;
}

/** Samples a process's RSS every `everyMs`; `peak()` since the last `reset()`. */
export function rssSampler(pid: number, everyMs = 100) {
  let peak = rssOf(pid);
  let overall = peak;
  const timer = setInterval(() => {
    try {
      const rss = rssOf(pid);
      peak = Math.max(peak, rss);
      overall = Math.max(overall, rss);
    } catch {}
  }, everyMs);
  return {
    peak: () => peak,
    overall: () => overall,
    reset: () => {
      peak = rssOf(pid);
    },
    stop: () => clearInterval(timer),
  };
}
