import type { Db, Tx } from './client.js';

/**
 * Runs `work` in one database transaction on one pooled connection. Everything a change writes (the
 * change, its audit events, the job it enqueues) goes through the same `tx`, so either all of it
 * exists or none of it. No network calls inside: validate before, forward after.
 *
 * The transaction is bounded in time by the server (statement and idle-in-transaction timeouts, set
 * with its BEGIN: client.ts). A connection whose rollback failed is discarded, not returned to the pool.
 */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
