/**
 * The database handle: one `pg` pool shared by Prisma (through its driver adapter) and by the few
 * raw statements that Prisma cannot express (advisory locks, health checks, the migrator).
 */
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { type Prisma, PrismaClient } from '../generated/prisma/client.js';

export type Db = PrismaClient;
/** A Prisma interactive transaction. Writes that must share a change's fate take one. */
export type Tx = Prisma.TransactionClient;
export type DbOrTx = Db | Tx;

export interface Database {
  readonly prisma: Db;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly url: string;
  readonly poolMax: number;
  /** Name shown in pg_stat_activity. */
  readonly applicationName?: string;
}

export function openDatabase(options: DatabaseOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolMax,
    application_name: options.applicationName ?? 'cognigy-sso',
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its connection (server restart) must not crash the process; the pool
  // replaces it and the next query reports the problem where it can be handled.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  let closed = false;
  return {
    prisma,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect();
      await pool.end();
    },
  };
}
