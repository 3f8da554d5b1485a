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
  readonly url: string;
  /** A superuser connection string to the same database (for tests that play the attacker). */
  readonly adminUrl: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function createTestDatabase(label = 'test'): Promise<TestDatabase> {
  const admin = inject('adminDatabaseUrl');
  const base = new URL(admin).pathname.slice(1) || 'postgres';
  const name = `${base}_${label.replace(/[^a-z0-9]/g, '').slice(0, 20)}_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: admin });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = withDatabase(admin, name);
  return {
    name,
    url,
    adminUrl: url,
    async drop() {
      const c = new pg.Client({ connectionString: admin });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
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
