/**
 * Applies the SQL migrations in prisma/migrations and records them in `_prisma_migrations` exactly
 * as `prisma migrate deploy` does (checksum = SHA-256 of the file, hex), so that Prisma's own
 * `migrate status` agrees wherever its schema engine can run. An advisory lock makes concurrent
 * starts safe: the first process applies, the others wait and then find nothing to do.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import type { Logger } from 'pino';
import { applyRuntimeGrants } from './runtime-grants.js';

/** Where the migrations are, from src/db or dist/src/db alike. */
export function defaultMigrationsDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const fromSrc = resolve(here, '../../prisma/migrations');
  return existsSync(fromSrc) ? fromSrc : resolve(here, '../../../prisma/migrations');
}

/** Arbitrary but fixed: the advisory lock key of this service's migrator. */
const MIGRATION_LOCK_KEY = 72_707_369;

/**
 * Runs `work` holding the migrator's advisory lock (a session lock: on `client`, until released).
 * Whatever changes the schema's objects or their privileges takes it, so that concurrent starts
 * never interleave (the embedded database's role set-up does too).
 */
export async function withMigrationLock<T>(client: pg.ClientBase, work: () => Promise<T>): Promise<T> {
  await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
  try {
    return await work();
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
  }
}

// The table exactly as Prisma creates it.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export interface MigrationFile {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export class MigrationError extends Error {
  constructor(
    readonly code:
      | 'MIGRATION_MODIFIED'
      | 'MIGRATION_FAILED_BEFORE'
      | 'MIGRATION_FAILED'
      | 'MIGRATION_UNKNOWN',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

export async function readMigrations(dir = defaultMigrationsDir()): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(join(dir, name, 'migration.sql'));
      return {
        name,
        sql: bytes.toString('utf8'),
        checksum: createHash('sha256').update(bytes).digest('hex'),
      };
    }),
  );
}

interface AppliedRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

export interface MigrationStatus {
  readonly applied: string[];
  readonly pending: string[];
}

/** What is applied and what is pending, without changing anything (used by /readyz). */
export async function migrationStatus(
  pool: pg.Pool,
  migrations: readonly MigrationFile[],
): Promise<MigrationStatus> {
  const exists = await pool.query<{ t: string | null }>(
    `SELECT to_regclass('"_prisma_migrations"')::text AS t`,
  );
  const rows: AppliedRow[] = exists.rows[0]?.t
    ? (
        await pool.query<AppliedRow>(
          'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations"',
        )
      ).rows
    : [];
  const done = new Set(rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => r.migration_name));
  return {
    applied: migrations.filter((m) => done.has(m.name)).map((m) => m.name),
    pending: migrations.filter((m) => !done.has(m.name)).map((m) => m.name),
  };
}

/**
 * Applies every pending migration, each in its own transaction, in name order.
 * @returns the names applied by this call (empty when another process got there first).
 */
export async function migrate(
  pool: pg.Pool,
  logger: Pick<Logger, 'info' | 'error'>,
  migrations?: readonly MigrationFile[],
  options: {
    /** The service's runtime role, given its privileges after the run (runtime-grants.ts). */
    readonly runtimeRole?: string;
  } = {},
): Promise<string[]> {
  const files = migrations ?? (await readMigrations());
  const client = await pool.connect();
  try {
    return await withMigrationLock(client, async () => {
      const applied = await applyPending(client, logger, files);
      if (options.runtimeRole) await applyRuntimeGrants(client, options.runtimeRole);
      return applied;
    });
  } finally {
    client.release();
  }
}

async function applyPending(
  client: pg.PoolClient,
  logger: Pick<Logger, 'info' | 'error'>,
  files: readonly MigrationFile[],
): Promise<string[]> {
  const applied: string[] = [];
  await client.query(CREATE_MIGRATIONS_TABLE);
  const rows = (
    await client.query<AppliedRow>(
      'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
    )
  ).rows;
  const known = new Set(files.map((f) => f.name));
  for (const row of rows) {
    if (row.rolled_back_at) continue;
    if (!row.finished_at) {
      throw new MigrationError(
        'MIGRATION_FAILED_BEFORE',
        `Migration ${row.migration_name} failed earlier and was never resolved; fix the database, then mark it rolled back`,
      );
    }
    if (!known.has(row.migration_name)) {
      throw new MigrationError(
        'MIGRATION_UNKNOWN',
        `The database has migration ${row.migration_name}, which this build does not know (is it older than the database?)`,
      );
    }
  }
  const done = new Map(
    rows.filter((r) => r.finished_at && !r.rolled_back_at).map((r) => [r.migration_name, r]),
  );
  const pending = files.filter((f) => !done.has(f.name));
  for (const file of files) {
    const row = done.get(file.name);
    if (row && row.checksum !== file.checksum) {
      throw new MigrationError(
        'MIGRATION_MODIFIED',
        `Migration ${file.name} was modified after it was applied (checksum ${row.checksum} in the database, ${file.checksum} on disk)`,
      );
    }
  }
  if (pending.length === 0) {
    logger.info({ applied: done.size }, 'database schema is up to date');
    return applied;
  }
  logger.info({ pending: pending.length, applied: done.size }, 'applying database migrations');
  let index = 0;
  for (const file of pending) {
    index += 1;
    const started = performance.now();
    const id = randomUUID();
    await client.query('BEGIN');
    try {
      await client.query(
        'INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)',
        [id, file.checksum, file.name],
      );
      await client.query(file.sql);
      await client.query(
        'UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 WHERE id = $1',
        [id],
      );
      await client.query('COMMIT');
    } catch (cause) {
      await client.query('ROLLBACK');
      logger.error({ migration: file.name, err: cause }, 'migration failed; nothing of it was applied');
      throw new MigrationError(
        'MIGRATION_FAILED',
        `Migration ${file.name} failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    applied.push(file.name);
    logger.info(
      {
        migration: file.name,
        progress: `${index}/${pending.length}`,
        ms: Math.round(performance.now() - started),
      },
      'migration applied',
    );
  }
  return applied;
}
