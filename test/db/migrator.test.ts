/**
 * The migrator applies prisma/migrations exactly once, records them exactly as `prisma migrate
 * deploy` does, is safe when many processes start together, and refuses databases it cannot trust.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  defaultMigrationsDir,
  MigrationError,
  type MigrationFile,
  migrate,
  migrationStatus,
  readMigrations,
} from '../../src/db/migrator.js';
import { createLogger } from '../../src/lib/logger.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

const MIGRATIONS_DIR = resolve('prisma/migrations');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const silent = createLogger('silent');

/** Every open pool and database of a test, closed and dropped after it. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function freshDatabase(label: string): Promise<{ db: TestDatabase; pool: pg.Pool }> {
  const db = await createTestDatabase(label);
  cleanups.push(() => db.drop());
  const pool = newPool(db);
  return { db, pool };
}

function newPool(db: TestDatabase, max = 2): pg.Pool {
  const pool = new pg.Pool({ connectionString: db.url, max });
  // A client still closing when its database is dropped (WITH FORCE) reports the termination as an
  // error event; unhandled, it would fail the run although the test itself is done.
  pool.on('error', () => undefined);
  cleanups.push(() => pool.end());
  return pool;
}

/** A copy of the migrations folder that a test may change. */
async function migrationsCopy(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sso-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(join(dir, name));
  await writeFile(join(dir, name, 'migration.sql'), sql);
}

async function migrationError(promise: Promise<unknown>): Promise<MigrationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MigrationError);
    return error as MigrationError;
  }
  throw new Error('expected a MigrationError, but migrate() succeeded');
}

async function tableExists(pool: pg.Pool, table: string): Promise<boolean> {
  const { rows } = await pool.query('SELECT to_regclass($1) IS NOT NULL AS present', [`"${table}"`]);
  return rows[0].present;
}

interface RecordedRow {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

const recorded = async (pool: pg.Pool) =>
  (await pool.query<RecordedRow>('SELECT * FROM "_prisma_migrations" ORDER BY migration_name')).rows;

let onDisk: MigrationFile[];
let onDiskNames: string[];

beforeAll(async () => {
  onDisk = await readMigrations();
  onDiskNames = (await readdir(MIGRATIONS_DIR, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the migrations folder', () => {
  it('holds only folders named <14-digit timestamp>_<snake_case>, each with a migration.sql', async () => {
    expect(onDiskNames.length).toBeGreaterThan(0);
    for (const name of onDiskNames) {
      expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
      expect(existsSync(join(MIGRATIONS_DIR, name, 'migration.sql')), name).toBe(true);
    }
  });

  it('has a migration_lock.toml for postgresql, as Prisma writes it', async () => {
    const lock = await readFile(join(MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8');
    expect(lock).toMatch(/^provider = "postgresql"$/m);
  });

  it('is what the migrator reads by default, in name order, with SHA-256 checksums of the bytes', async () => {
    expect(resolve(defaultMigrationsDir())).toBe(MIGRATIONS_DIR);
    expect(onDisk.map((m) => m.name)).toEqual(onDiskNames);
    for (const migration of onDisk) {
      const bytes = await readFile(join(MIGRATIONS_DIR, migration.name, 'migration.sql'));
      expect(migration.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(migration.sql).toBe(bytes.toString('utf8'));
    }
  });
});

describe('migrate', () => {
  it('applies every migration once on a fresh database and records it as Prisma does', async () => {
    const { pool } = await freshDatabase('migfresh');
    const before = Date.now();
    expect(await migrate(pool, silent, onDisk)).toEqual(onDiskNames);
    const rows = await recorded(pool);
    expect(rows.map((r) => r.migration_name)).toEqual(onDiskNames);
    for (const row of rows) {
      const bytes = await readFile(join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.id).toMatch(UUID);
      expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.finished_at!.getTime()).toBeGreaterThanOrEqual(row.started_at.getTime());
      expect(row.started_at.getTime()).toBeGreaterThan(before - 60_000);
      expect(row.applied_steps_count).toBe(1);
      expect(row.rolled_back_at).toBeNull();
      expect(row.logs).toBeNull();
    }
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(await tableExists(pool, 'tenants')).toBe(true);
  });

  it('creates _prisma_migrations with exactly the columns, types, defaults and key Prisma gives it', async () => {
    const { pool } = await freshDatabase('migtable');
    await migrate(pool, silent, onDisk);
    const { rows } = await pool.query(
      `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
         FROM information_schema.columns
        WHERE table_schema = current_schema() AND table_name = '_prisma_migrations'
        ORDER BY ordinal_position`,
    );
    // prisma-engines, schema-engine/connectors/sql-schema-connector (postgres flavour):
    //   id VARCHAR(36) PRIMARY KEY NOT NULL, checksum VARCHAR(64) NOT NULL, finished_at TIMESTAMPTZ,
    //   migration_name VARCHAR(255) NOT NULL, logs TEXT, rolled_back_at TIMESTAMPTZ,
    //   started_at TIMESTAMPTZ NOT NULL DEFAULT now(), applied_steps_count INTEGER NOT NULL DEFAULT 0
    expect(rows).toEqual([
      {
        column_name: 'id',
        data_type: 'character varying',
        length: 36,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'checksum',
        data_type: 'character varying',
        length: 64,
        is_nullable: 'NO',
        column_default: null,
      },
      {
        column_name: 'finished_at',
        data_type: 'timestamp with time zone',
        length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'migration_name',
        data_type: 'character varying',
        length: 255,
        is_nullable: 'NO',
        column_default: null,
      },
      { column_name: 'logs', data_type: 'text', length: null, is_nullable: 'YES', column_default: null },
      {
        column_name: 'rolled_back_at',
        data_type: 'timestamp with time zone',
        length: null,
        is_nullable: 'YES',
        column_default: null,
      },
      {
        column_name: 'started_at',
        data_type: 'timestamp with time zone',
        length: null,
        is_nullable: 'NO',
        column_default: 'now()',
      },
      {
        column_name: 'applied_steps_count',
        data_type: 'integer',
        length: null,
        is_nullable: 'NO',
        column_default: '0',
      },
    ]);
    const pk = await pool.query(
      `SELECT c.conname, array_agg(a.attname::text ORDER BY a.attnum) AS columns
         FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
        WHERE c.conrelid = '"_prisma_migrations"'::regclass AND c.contype = 'p'
        GROUP BY c.conname`,
    );
    expect(pk.rows).toEqual([{ conname: '_prisma_migrations_pkey', columns: ['id'] }]);
  });

  it('applies nothing the second time', async () => {
    const { pool } = await freshDatabase('migtwice');
    await migrate(pool, silent, onDisk);
    const first = await recorded(pool);
    expect(await migrate(pool, silent, onDisk)).toEqual([]);
    expect(await recorded(pool)).toEqual(first);
  });

  it('reads the migrations itself when none are given', async () => {
    const { pool } = await freshDatabase('migdefault');
    expect(await migrate(pool, silent)).toEqual(onDiskNames);
  });

  it('applies each migration exactly once when 10 processes migrate one empty database at the same time', async () => {
    const { db, pool } = await freshDatabase('migrace');
    const pools = Array.from({ length: 10 }, () => newPool(db, 1));
    const results = await Promise.all(pools.map((p) => migrate(p, silent, onDisk)));
    expect(results.flat().sort()).toEqual(onDiskNames);
    expect(results.filter((r) => r.length > 0)).toHaveLength(1);
    const rows = await recorded(pool);
    expect(rows.map((r) => r.migration_name)).toEqual(onDiskNames);
    expect(rows.every((r) => r.finished_at !== null && r.applied_steps_count === 1)).toBe(true);
    // the lock is released: a later run proceeds at once
    expect(await migrate(pool, silent, onDisk)).toEqual([]);
  });

  it('applies only the new migration when one is added later', async () => {
    const { pool } = await freshDatabase('migadd');
    await migrate(pool, silent, onDisk);
    const dir = await migrationsCopy();
    await addMigration(dir, '20991231000000_add_a_table', 'CREATE TABLE "later_table" ("id" INTEGER);\n');
    expect(await migrate(pool, silent, await readMigrations(dir))).toEqual(['20991231000000_add_a_table']);
    expect(await tableExists(pool, 'later_table')).toBe(true);
    expect((await recorded(pool)).map((r) => r.migration_name)).toEqual([
      ...onDiskNames,
      '20991231000000_add_a_table',
    ]);
  });

  it('refuses a migration whose file changed after it was applied (MIGRATION_MODIFIED)', async () => {
    const { pool } = await freshDatabase('migmodified');
    const dir = await migrationsCopy();
    await migrate(pool, silent, await readMigrations(dir));
    const name = onDiskNames[0]!;
    await appendFile(join(dir, name, 'migration.sql'), '\n-- an innocent-looking comment\n');
    const error = await migrationError(migrate(pool, silent, await readMigrations(dir)));
    expect(error.code).toBe('MIGRATION_MODIFIED');
    expect(error.message).toContain(name);
  });

  it('rolls a failing migration back completely and reports MIGRATION_FAILED', async () => {
    const { pool } = await freshDatabase('migfailing');
    await migrate(pool, silent, onDisk);
    const dir = await migrationsCopy();
    await addMigration(
      dir,
      '20991231000000_broken',
      [
        'CREATE TABLE "broken_one" ("id" INTEGER);',
        'ALTER TABLE "tenants" ADD COLUMN "broken_column" TEXT;',
        'INSERT INTO "broken_one" VALUES (1);',
        'SELECT * FROM "no_such_table";',
      ].join('\n'),
    );
    const before = await recorded(pool);
    const error = await migrationError(migrate(pool, silent, await readMigrations(dir)));
    expect(error.code).toBe('MIGRATION_FAILED');
    expect(error.message).toContain('20991231000000_broken');
    expect(error.message).toContain('no_such_table');
    expect(error.cause).toBeInstanceOf(Error);

    expect(await tableExists(pool, 'broken_one')).toBe(false);
    const column = await pool.query(
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'tenants' AND column_name = 'broken_column'",
    );
    expect(column.rowCount).toBe(0);
    expect(await recorded(pool)).toEqual(before);
    expect((await migrationStatus(pool, await readMigrations(dir))).pending).toEqual([
      '20991231000000_broken',
    ]);

    // once the file is fixed, it applies (nothing of the failed attempt stands in the way)
    await writeFile(
      join(dir, '20991231000000_broken', 'migration.sql'),
      'CREATE TABLE "broken_one" ("id" INTEGER);',
    );
    expect(await migrate(pool, silent, await readMigrations(dir))).toEqual(['20991231000000_broken']);
  });

  it('logs a failing migration by name and keeps the connection usable', async () => {
    const { pool } = await freshDatabase('migfaillog');
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const dir = await migrationsCopy();
    await addMigration(dir, '20991231000000_broken', 'SELEC 1;');
    await migrationError(migrate(pool, logger, await readMigrations(dir)));
    const failure = lines.map((l) => JSON.parse(l)).find((l) => l.level === 'error');
    expect(failure).toMatchObject({ migration: '20991231000000_broken' });
    // the session is not left inside an aborted transaction nor holding the lock
    expect(await migrate(pool, silent, onDisk)).toEqual([]);
  });

  it('refuses a database that has a migration this build does not know (MIGRATION_UNKNOWN)', async () => {
    const { pool } = await freshDatabase('migunknown');
    const dir = await migrationsCopy();
    await addMigration(dir, '20991231000000_from_a_newer_build', 'CREATE TABLE "newer" ("id" INTEGER);');
    await migrate(pool, silent, await readMigrations(dir));
    const error = await migrationError(migrate(pool, silent, onDisk));
    expect(error.code).toBe('MIGRATION_UNKNOWN');
    expect(error.message).toContain('20991231000000_from_a_newer_build');
  });

  it('refuses a database with a migration that failed earlier and was never resolved (MIGRATION_FAILED_BEFORE)', async () => {
    const { pool } = await freshDatabase('migfailedbefore');
    await migrate(pool, silent, onDisk);
    await pool.query(
      `UPDATE "_prisma_migrations" SET finished_at = NULL, applied_steps_count = 0, logs = 'crashed'
        WHERE migration_name = $1`,
      [onDiskNames.at(-1)],
    );
    const error = await migrationError(migrate(pool, silent, onDisk));
    expect(error.code).toBe('MIGRATION_FAILED_BEFORE');
    expect(error.message).toContain(onDiskNames.at(-1));
  });
});

describe('migrationStatus', () => {
  it('reports every migration pending on an empty database without creating anything', async () => {
    const { pool } = await freshDatabase('migstatus0');
    expect(await migrationStatus(pool, onDisk)).toEqual({ applied: [], pending: onDiskNames });
    expect(await tableExists(pool, '_prisma_migrations')).toBe(false);
  });

  it('reports none pending after migrate, and a new migration as pending', async () => {
    const { pool } = await freshDatabase('migstatus1');
    await migrate(pool, silent, onDisk);
    expect(await migrationStatus(pool, onDisk)).toEqual({ applied: onDiskNames, pending: [] });
    const dir = await migrationsCopy();
    await addMigration(dir, '20991231000000_next', 'SELECT 1;');
    expect(await migrationStatus(pool, await readMigrations(dir))).toEqual({
      applied: onDiskNames,
      pending: ['20991231000000_next'],
    });
  });

  it('counts a rolled-back migration as pending', async () => {
    const { pool } = await freshDatabase('migstatus2');
    await migrate(pool, silent, onDisk);
    await pool.query('UPDATE "_prisma_migrations" SET rolled_back_at = now() WHERE migration_name = $1', [
      onDiskNames.at(-1),
    ]);
    expect((await migrationStatus(pool, onDisk)).pending).toEqual([onDiskNames.at(-1)]);
  });
});
