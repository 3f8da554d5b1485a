/**
 * The built `csso` (dist/src/cli/csso/main.js, what `npx csso` runs) as a child process, with a home
 * and config folder of its own and none of the runner's CSSO_* variables. Refuses to run a build
 * older than the sources, so a test never passes against yesterday's CLI.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './database.js';
import {
  cleanUpProcesses,
  makeTempDir,
  PROJECT_ROOT,
  type ServiceProcess,
  spawnService,
  waitForReady,
} from './process.js';
import { call } from './rollout.js';

export const CSSO_MAIN = join(PROJECT_ROOT, 'dist', 'src', 'cli', 'csso', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Throws unless dist/ holds a build of the current CLI and client sources. */
export function assertCssoBuilt(): void {
  let built: number;
  try {
    built = statSync(CSSO_MAIN).mtimeMs;
  } catch {
    throw new Error(`${CSSO_MAIN} is missing: run \`npm run build\` first`);
  }
  const sources = Math.max(
    newestSource(join(PROJECT_ROOT, 'src', 'cli', 'csso')),
    newestSource(join(PROJECT_ROOT, 'src', 'client')),
  );
  if (sources > built) throw new Error(`${CSSO_MAIN} is older than its sources: run \`npm run build\``);
}

export interface CssoRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs csso with `args` in `home` (HOME and XDG_CONFIG_HOME under it), `env` added, `input` on stdin. */
export function runCsso(
  home: string,
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<CssoRun> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
  };
  Object.assign(env, options.env);
  mkdirSync(home, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CSSO_MAIN, ...args], {
      cwd: options.cwd ?? home,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A service process for csso to talk to, on a database of its own, with a tenant and its keys. */
export interface CssoWorld {
  readonly database: TestDatabase;
  /** A temporary folder (homes, documents), removed by `cleanUpProcesses()`. */
  readonly dir: string;
  readonly service: ServiceProcess;
  readonly keys: { readonly admin: string; readonly editor: string; readonly approver: string };
}

const PLATFORM_KEY = 'csso-tests-platform-key-0123456789abcdefghij';

/**
 * Starts the service (no forwarding worker) with `env` added, creates the tenant `tenant` and an
 * editor's and an approver's key. Stop it with `stopCssoWorld`.
 */
export async function startCssoWorld(
  label: string,
  tenant: string,
  env: Record<string, string> = {},
): Promise<CssoWorld> {
  assertCssoBuilt();
  const database = await createTestDatabase(label);
  const dir = await makeTempDir(label);
  const service = await spawnService({
    DATABASE_URL: database.url,
    ENCRYPTION_KEYS: `${label}-1:${Buffer.alloc(32, 9).toString('base64')}`,
    BOOTSTRAP_ADMIN_KEY: PLATFORM_KEY,
    DATA_DIR: join(dir, 'data'),
    FORWARDING_WORKER: 'false',
    ...env,
  });
  await waitForReady(service, 90_000);
  const created = await call(service, 'POST', '/v1/tenants', PLATFORM_KEY, { slug: tenant, name: tenant });
  const admin: string = created.adminKey.token;
  const key = async (roles: string[]) =>
    (await call(service, 'POST', '/v1/api-keys', admin, { name: roles.join('+'), roles })).token as string;
  return {
    database,
    dir,
    service,
    keys: { admin, editor: await key(['editor']), approver: await key(['approver']) },
  };
}

export async function stopCssoWorld(world: CssoWorld | undefined): Promise<void> {
  await cleanUpProcesses();
  await world?.database.drop();
}

/** Logs csso in (in `home`) with `apiKey`; throws with csso's message when that fails. */
export async function loginCsso(home: string, world: CssoWorld, apiKey: string): Promise<void> {
  const login = await runCsso(home, ['login', '--url', world.service.url, '--api-key', apiKey]);
  if (login.code !== 0) throw new Error(`csso login failed: ${login.stderr}`);
}
