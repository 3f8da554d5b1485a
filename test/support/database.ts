/**
 * A database of the test file's own on the run's server, so files run in parallel without sharing
 * state. Dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

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
