/**
 * A database of the test file's own on the run's server, so files run in parallel without sharing
 * state. Dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { type Database, openDatabase } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrator.js';
import { createLogger } from '../../src/lib/logger.js';

export interface TestDatabase {
  readonly name: string;
  /** What the service connects as: the runtime role with `roles`, else the superuser. */
  readonly url: string;
  /** With `roles`: the owner role's, which migrates (MIGRATION_DATABASE_URL). */
  readonly migrationUrl: string | undefined;
  /** A superuser connection string to the same database (for tests that play the attacker). */
  readonly adminUrl: string;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * The two roles of a server installation (issue 21), made for this database alone — roles are
   * cluster-wide and test files run in parallel: `<database>_owner` owns the database (and so its
   * public schema) and migrates; `<database>_runtime` is what `url` connects as. Dropped with it.
   */
  readonly roles?: boolean;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function withRole(url: string, role: string, password: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

export async function createTestDatabase(
  label = 'test',
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const admin = inject('adminDatabaseUrl');
  const base = new URL(admin).pathname.slice(1) || 'postgres';
  const name = `${base}_${label.replace(/[^a-z0-9]/g, '').slice(0, 20)}_${randomBytes(5).toString('hex')}`;
  const roles = options.roles
    ? { owner: `${name}_owner`, runtime: `${name}_runtime`, password: randomBytes(12).toString('hex') }
    : undefined;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  if (roles) {
    for (const role of [roles.owner, roles.runtime])
      await client.query(`CREATE ROLE "${role}" LOGIN PASSWORD '${roles.password}'`);
    // As the README's "Running against your own PostgreSQL" does it.
    await client.query(`CREATE DATABASE "${name}" OWNER "${roles.owner}"`);
    await client.query(`REVOKE ALL ON DATABASE "${name}" FROM PUBLIC`);
    await client.query(`GRANT CONNECT ON DATABASE "${name}" TO "${roles.runtime}"`);
  } else {
    await client.query(`CREATE DATABASE "${name}"`);
  }
  await client.end();
  const url = withDatabase(admin, name);
  return {
    name,
    url: roles ? withRole(url, roles.runtime, roles.password) : url,
    migrationUrl: roles ? withRole(url, roles.owner, roles.password) : undefined,
    adminUrl: url,
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      // Their objects and grants went with the database: nothing else refers to them.
      for (const role of roles ? [roles.runtime, roles.owner] : [])
        await c.query(`DROP ROLE IF EXISTS "${role}"`);
      await c.end();
    },
  };
}

/**
 * A database of the file's own, migrated, with the service's handle on it (Kysely and the pool):
 * for tests of single repository statements. `close()` closes the handle and drops the database.
 */
export async function createMigratedDatabase(label: string): Promise<Database & { readonly url: string }> {
  const testDb = await createTestDatabase(label);
  const database = openDatabase({ url: testDb.url, poolMax: 3 });
  await migrate(database.pool, createLogger('silent'));
  return {
    db: database.db,
    pool: database.pool,
    url: testDb.url,
    async close() {
      await database.close();
      await testDb.drop();
    },
  };
}
