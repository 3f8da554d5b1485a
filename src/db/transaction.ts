import type pg from 'pg';
import type { Db, Tx } from './client.js';
import type { SqlTx } from './queryable.js';

/** How long a transaction may take (Prisma's interactive transactions are given the same). */
const TRANSACTION_TIMEOUT_MS = 15_000;

/**
 * Runs `work` in one database transaction. Everything a change writes (the change, its audit event,
 * the job it enqueues) goes through the same `tx`, so either all of it exists or none of it.
 * No network calls inside: validate before, forward after.
 */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(work, { timeout: TRANSACTION_TIMEOUT_MS, maxWait: 10_000 });
}

/**
 * The same on one pooled `pg` connection, for the hot changes whose statements are all raw SQL
 * (a draft, a batch of forwarding results): Prisma's interactive transaction costs ~0.5 ms of CPU
 * to open and ~0.2 ms per statement on top of the statement itself (issue 7). A transaction that
 * outlives the timeout is cut by the server (statement and idle-in-transaction timeouts, set for
 * this transaction only). A connection whose rollback failed is discarded, not returned to the pool.
 */
export async function inSqlTransaction<T>(pool: pg.Pool, work: (tx: SqlTx) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  // A connection lost while checked out emits 'error' on the client (the pool listens only to idle
  // ones): without a listener that would end the process. The statement in progress rejects anyway.
  let lost: Error | undefined;
  const onError = (error: Error) => {
    lost = error;
  };
  client.on('error', onError);
  const release = (error?: Error) => {
    client.off('error', onError);
    client.release(error);
  };
  try {
    await client.query(
      `BEGIN; SET LOCAL statement_timeout = ${TRANSACTION_TIMEOUT_MS}; ` +
        `SET LOCAL idle_in_transaction_session_timeout = ${TRANSACTION_TIMEOUT_MS}`,
    );
    const result = await work(client);
    await client.query('COMMIT');
    release();
    return result;
  } catch (error) {
    try {
      if (lost) throw lost;
      await client.query('ROLLBACK');
      release();
    } catch (rollbackError) {
      release(rollbackError as Error);
    }
    throw error;
  }
}
