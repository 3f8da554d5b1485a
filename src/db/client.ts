/**
 * The database handle: one `pg` pool, and Kysely on it — the one query layer of the service. Table
 * and column types are generated from prisma/schema.prisma by prisma-kysely at build time
 * (src/generated/kysely). The pool itself is used directly only by the migrator, the readiness
 * check and the audit export's cursor.
 */
import {
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type Transaction,
} from 'kysely';
import pg from 'pg';
import type { DB } from '../generated/kysely/types.js';
import { statementName } from './prepared.js';

/** The database, or a transaction on it: every repository function takes one. */
export type Db = Kysely<DB>;
/** A transaction (see `inTransaction`). Writes that must share a change's fate take one. */
export type Tx = Transaction<DB>;

export interface Database {
  readonly db: Db;
  readonly pool: pg.Pool;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  readonly url: string;
  readonly poolMax: number;
  /** Name shown in pg_stat_activity. */
  readonly applicationName?: string;
}

/** How long a transaction may take: the server cuts one that outlives it. */
export const TRANSACTION_TIMEOUT_MS = 15_000;

/**
 * Every transaction starts with its own time bounds, in the same round trip as BEGIN (statement and
 * idle-in-transaction timeouts, for this transaction only).
 */
const BEGIN = `BEGIN; SET LOCAL statement_timeout = ${TRANSACTION_TIMEOUT_MS}; SET LOCAL idle_in_transaction_session_timeout = ${TRANSACTION_TIMEOUT_MS}`;

/**
 * The pool as Kysely sees it. Two things are added on the way to `pg`: a transaction's BEGIN carries
 * its timeouts (above), and a statement made by `prepared` (prepared.ts) runs under its name, so that
 * each connection parses and plans it once (issue 7: the hot statements).
 */
function kyselyPool(pool: pg.Pool): PostgresPool {
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    // biome-ignore lint/suspicious/noExplicitAny: one signature of pg's overloads per call site
    query(text: any, values?: readonly unknown[]): any {
      if (typeof text !== 'string') return client.query(text); // a cursor (streaming)
      if (text === 'begin') return client.query(BEGIN);
      const name = values && values.length > 0 ? statementName(text) : undefined;
      return client.query(
        name ? { name, text, values: values as unknown[] } : { text, values: values as unknown[] },
      );
    },
    release: (destroy?: boolean) => client.release(destroy),
  });
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = wrap(client);
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
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
  // The same for a client that is checked out (the pool listens only to idle ones): the statement in
  // progress rejects, and the pool drops the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: kyselyPool(pool) }) });
  let closed = false;
  return {
    db,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy(); // ends the pool
    },
  };
}
