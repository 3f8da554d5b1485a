/**
 * The service as a real process, for process-level tests: spawn it as `npm start` would (but from
 * the TypeScript sources, `node --import tsx src/server.ts`), wait for /readyz, read what it
 * printed, stop it — and leave nothing behind (processes, embedded clusters, temp folders), even
 * when a test fails: every helper registers what it creates, and `cleanUpProcesses()` in an
 * `afterAll` removes it all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/db/embedded-postgres.js';

export { freePort };

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** A platform or tenant API key as the service prints it (`csso_<prefix>_<secret>`). */
export const API_KEY_PATTERN = /csso_[A-Za-z0-9_-]{12}_[A-Za-z0-9_-]{43}/g;

/** Variables of the service's configuration: never inherited from the test runner's environment. */
const CONFIG_VARIABLES = [
  'NODE_ENV',
  'HOST',
  'PORT',
  'LOG_LEVEL',
  'DATA_DIR',
  'DATABASE_URL',
  'MIGRATION_DATABASE_URL',
  'DB_POOL_MAX',
  'ENCRYPTION_KEYS',
  'BOOTSTRAP_ADMIN_KEY',
  'OUTBOUND_ALLOWLIST',
  'OUTBOUND_ALLOW_HTTP',
  'OUTBOUND_TIMEOUT_MS',
  'TRUST_PROXY',
  'SHUTDOWN_TIMEOUT_MS',
  'IDEMPOTENCY_TTL_SECONDS',
  'AUTH_FAILURE_LIMIT',
  'AUTH_FAILURE_WINDOW_SECONDS',
  'AUTH_CACHE_TTL_SECONDS',
  'PLAN_TTL_SECONDS',
  'DISCOVERY_CACHE_TTL_SECONDS',
  'DISCOVERY_CACHE_MAX_ENTRIES',
  'FORWARDING_WORKER',
  'FORWARDING_CONCURRENCY',
  'FORWARDING_PER_API_BASE',
  'FORWARDING_PER_API_BASE_SHARED',
  'FORWARDING_LEASE_SECONDS',
  'FORWARDING_POLL_MS',
  'FORWARDING_MAX_ATTEMPTS',
  'FORWARDING_DEADLINE_SECONDS',
  'FORWARDING_BACKOFF_BASE_MS',
  'FORWARDING_BACKOFF_MAX_MS',
  'COGNIGY_TIMEOUT_MS',
  'JOBS_WORKER',
  'JOBS_CONCURRENCY',
  'JOBS_LEASE_SECONDS',
  'JOBS_POLL_MS',
  'JOBS_RETENTION_DAYS',
  'WATCH_DISCOVERY_INTERVAL_SECONDS',
  'WATCH_EXPIRY_INTERVAL_SECONDS',
  'WATCH_DELIVERY_STUCK_SECONDS',
  'WATCH_PROBE_INTERVAL_SECONDS',
  'WATCH_CONCURRENCY',
  'WATCH_SHARE_PERCENT',
  'WEBHOOK_CONCURRENCY',
  'WEBHOOK_TIMEOUT_MS',
  'WEBHOOK_RETRY_SECONDS',
  'WEBHOOK_DISABLE_AFTER_SECONDS',
  'WEBHOOK_SECRET_OVERLAP_SECONDS',
  'WEBHOOK_BACKOFF_BASE_MS',
  'WEBHOOK_BACKOFF_MAX_MS',
  'NODE_EXTRA_CA_CERTS',
  'TEST_DATABASE_URL',
];

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** `performance.now()` just before the spawn. */
  readonly spawnedAt: number;
  /** Everything the process wrote so far. */
  stdout(): string;
  stderr(): string;
  /** Settles when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Null while the process runs. */
  exitStatus(): Exit | null;
}

/** The arguments of `npm start` after `node` (package.json), e.g. the heap flags and dist/src/server.js. */
function npmStartArgs(): string[] {
  const { scripts } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8'));
  const [node, ...args] = (scripts.start as string).split(/\s+/);
  if (node !== 'node') throw new Error(`npm start does not start with node: ${scripts.start}`);
  return args;
}

const running = new Set<ServiceProcess>();
const tempDirs = new Set<string>();

/**
 * A fresh temporary folder of mode 0755 (as root, the embedded cluster runs as the `postgres` user,
 * which must reach it), removed by `cleanUpProcesses()`.
 */
export async function makeTempDir(label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `sso-${label}-`));
  await chmod(dir, 0o755);
  tempDirs.add(dir);
  return dir;
}

/** The runner's environment without any of the service's configuration, and `env` on top. */
export function serviceEnvironment(env: Record<string, string>): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of CONFIG_VARIABLES) delete childEnv[name];
  return Object.assign(childEnv, env);
}

/**
 * Starts the service with exactly `env` as its configuration (nothing of the runner's own
 * configuration leaks in) on a free port, listening on 127.0.0.1. With `ownProcessGroup` it leads a
 * process group of its own, as a shell's foreground job does: `process.kill(-pid, 'SIGINT')` is then
 * what Ctrl-C sends.
 */
export async function spawnService(
  env: Record<string, string>,
  options: {
    ownProcessGroup?: boolean;
    /** Run the built service (dist/, `npm run build` first) exactly as `npm start` does. */
    built?: boolean;
  } = {},
): Promise<ServiceProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const childEnv = serviceEnvironment({ HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'info', ...env });

  let out = '';
  let err = '';
  let status: Exit | null = null;
  const spawnedAt = performance.now();
  const child = spawn(
    process.execPath,
    options.built ? npmStartArgs() : ['--import', 'tsx', 'src/server.ts'],
    {
      cwd: PROJECT_ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    },
  );
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<Exit>((resolveExit) => {
    child.once('error', (error) => {
      err += `\n[spawn error] ${error.message}\n`;
      status = { code: null, signal: null };
      resolveExit(status);
    });
    // 'close' rather than 'exit': by then stdout and stderr have been read to their end.
    child.once('close', (code, signal) => {
      status = { code, signal };
      resolveExit(status);
    });
  });
  const service: ServiceProcess = {
    child,
    port,
    url: `http://127.0.0.1:${port}`,
    spawnedAt,
    stdout: () => out,
    stderr: () => err,
    exited,
    exitStatus: () => status,
  };
  running.add(service);
  void exited.then(() => running.delete(service));
  return service;
}

/** The last lines a process wrote, for failure messages. */
export function tail(service: ServiceProcess, lines = 30): string {
  const last = (text: string) => text.trimEnd().split('\n').slice(-lines).join('\n');
  return `--- stderr ---\n${last(service.stderr())}\n--- stdout ---\n${last(service.stdout())}`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Polls GET /readyz until it answers 200.
 * @returns milliseconds from the spawn to the first 200.
 * @throws when the process exits first or `timeoutMs` passes, with what the process printed.
 */
export async function waitForReady(service: ServiceProcess, timeoutMs = 60_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const exit = service.exitStatus();
    if (exit) {
      throw new Error(
        `the service exited (code ${exit.code}, signal ${exit.signal}) before it was ready\n${tail(service)}`,
      );
    }
    try {
      const res = await fetch(`${service.url}/readyz`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - service.spawnedAt;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`the service was not ready within ${timeoutMs} ms\n${tail(service)}`);
}

/** Waits until `predicate` holds (e.g. a line has been read from the process), or throws. */
export async function waitUntil(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** Waits until the start-up banner (printed after listen) has been read from stderr. */
export function waitForBanner(service: ServiceProcess): Promise<void> {
  return waitUntil(() => service.stderr().includes('is listening on'), 'the start-up banner');
}

/** Every API key the process printed on stderr. */
export function printedKeys(service: ServiceProcess): string[] {
  return service.stderr().match(API_KEY_PATTERN) ?? [];
}

/**
 * Sends `signal` and waits up to `timeoutMs` for the exit; after that, SIGKILL.
 * @returns the exit, and how long it took; `timedOut` when it had to be killed.
 */
export async function stopService(
  service: ServiceProcess,
  signal: NodeJS.Signals = 'SIGTERM',
  timeoutMs = 15_000,
): Promise<Exit & { ms: number; timedOut: boolean }> {
  const started = performance.now();
  const done = service.exitStatus();
  if (done) return { ...done, ms: 0, timedOut: false };
  service.child.kill(signal);
  const exit = await Promise.race([service.exited, sleep(timeoutMs).then(() => null)]);
  if (exit) return { ...exit, ms: performance.now() - started, timedOut: false };
  service.child.kill('SIGKILL');
  const killed = await service.exited;
  return { ...killed, ms: performance.now() - started, timedOut: true };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The embedded cluster's postmaster.pid: pid and port of a running cluster of this data folder. */
export function embeddedCluster(dataDir: string): { pid: number; port: number; alive: boolean } | undefined {
  const pidFile = join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(lines[0]);
  return { pid, port: Number(lines[3]), alive: Number.isInteger(pid) && pid > 0 && isAlive(pid) };
}

/** The password file of each role of the embedded database (src/db/embedded-roles.ts). */
const PASSWORD_FILES = {
  postgres: 'postgres-password',
  sso_owner: 'postgres-owner-password',
  sso_runtime: 'postgres-runtime-password',
} as const;

/**
 * A connection string to the embedded cluster a service started under `dataDir`: as its superuser
 * (default), or as the owner or the runtime role.
 */
export function embeddedDatabaseUrl(dataDir: string, role: keyof typeof PASSWORD_FILES = 'postgres'): string {
  const cluster = embeddedCluster(dataDir);
  if (!cluster?.alive) throw new Error(`no embedded PostgreSQL runs under ${dataDir}`);
  const password = readFileSync(join(dataDir, PASSWORD_FILES[role]), 'utf8').trim();
  return `postgresql://${role}:${encodeURIComponent(password)}@127.0.0.1:${cluster.port}/postgres`;
}

/** Stops a cluster whose service could not stop it (immediate shutdown, then SIGKILL). */
async function killEmbeddedCluster(dataDir: string): Promise<void> {
  const cluster = embeddedCluster(dataDir);
  if (!cluster?.alive) return;
  process.kill(cluster.pid, 'SIGQUIT');
  for (let i = 0; i < 100 && isAlive(cluster.pid); i += 1) await sleep(50);
  if (isAlive(cluster.pid)) process.kill(cluster.pid, 'SIGKILL');
}

/**
 * Kills every service still running, stops embedded clusters left under the temp folders, and
 * removes the folders. For `afterAll`, so that a failed assertion leaves nothing behind.
 */
export async function cleanUpProcesses(): Promise<void> {
  await Promise.all([...running].map((service) => stopService(service, 'SIGTERM', 10_000)));
  for (const dir of tempDirs) {
    for (const dataDir of [dir, join(dir, 'data')]) await killEmbeddedCluster(dataDir);
    await rm(dir, { recursive: true, force: true });
  }
  tempDirs.clear();
}

/** A JSON call to the service; throws with the answer on any status ≥ 300. */
export async function call(
  service: Pick<ServiceProcess, 'url'>,
  method: string,
  path: string,
  key: string,
  body?: unknown,
) {
  const res = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}
