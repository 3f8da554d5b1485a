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

/** A statement as `pg` takes it: under its name when `prepared` (prepared.ts) made it. */
function statement(text: string, values: readonly unknown[] | undefined): pg.QueryConfig {
  const name = values && values.length > 0 ? statementName(text) : undefined;
  return name ? { name, text, values: values as unknown[] } : { text, values: values as unknown[] };
}

/**
 * The pool as Kysely sees it. Three things are added on the way to `pg`:
 * - A statement made by `prepared` (prepared.ts) runs under its name, so that each connection parses
 *   and plans it once (issue 7: the hot statements).
 * - A transaction's BEGIN carries its timeouts (above).
 * - A client is checked out of the pool only for a transaction (from BEGIN to the release). Kysely
 *   asks for a connection for every statement; a statement outside a transaction goes through
 *   `pool.query` instead, which checks a client out and back in with callbacks. Measured on the org
 *   list (3,000 lists of 50 orgs in one process, bench/msp data): checking out through the promise
 *   API of pg-pool and pg for each statement doubled the time in young-generation collections
 *   (730–850 ms against 340–410 ms; twice the bytes promoted per scavenge) and cost 0.3–0.6 ms of
 *   CPU per list, which made lists slower than before Kysely (issue 16's A/B).
 * Kysely keeps one connection object per handle it is given, so handles are reused (`idle`).
 * So `db.connection()` does not pin a session outside a transaction: session state (SET, session
 * advisory locks) belongs in a transaction or on a `pg` client of its own, as the migrator does.
 */
function kyselyPool(pool: pg.Pool): PostgresPool {
  const idle: PostgresPoolClient[] = [];
  const handle = (): PostgresPoolClient => {
    let client: pg.PoolClient | undefined; // checked out from BEGIN to release
    const self: PostgresPoolClient = {
      // biome-ignore lint/suspicious/noExplicitAny: one signature of pg's overloads per call site
      query(text: any, values?: readonly unknown[]): any {
        // Kysely streams only with a cursor class in the dialect's config, which this one has not.
        if (typeof text !== 'string') throw new Error('streaming through Kysely is not configured');
        if (client) return client.query(statement(text, values));
        if (text === 'begin') {
          return pool.connect().then((checkedOut) => {
            client = checkedOut;
            return checkedOut.query(BEGIN);
          });
        }
        return pool.query(statement(text, values));
      },
      release(destroy?: boolean) {
        client?.release(destroy);
        client = undefined;
        // Kysely asks to destroy a connection it has discarded (a failed rollback): its connection
        // object refuses every later statement, so this handle is not given out again.
        if (!destroy) idle.push(self);
      },
    };
    return self;
  };
  return {
    async connect() {
      return idle.pop() ?? handle();
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
      await db.destroy(); // ends the pool, once Kysely has used it
      // A process that used the pool alone (npm run db:migrate) waited out the idle timeout (30 s)
      // before it could exit: Kysely ends only a pool it has taken a connection from.
      if (!pool.ending && !pool.ended) await pool.end();
    },
  };
}
