import type { Db, Tx } from './client.js';

/**
 * Runs `work` in one database transaction. Everything a change writes (the change, its audit event,
 * the job it enqueues) goes through the same `tx`, so either all of it exists or none of it.
 * No network calls inside: validate before, forward after.
 */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.$transaction(work, { timeout: 15_000, maxWait: 10_000 });
}
