/**
 * Raw SQL that runs either on the `pg` pool or through Prisma. Outside a transaction the pool is
 * the cheaper road (a prepared statement, no query-builder round); inside a change's transaction
 * the same statement goes through that transaction. Hot reads take a {@link Queryable} so that
 * callers choose.
 */
import pg from 'pg';
import type { DbOrTx } from './client.js';

export type Queryable = DbOrTx | pg.Pool;

/** A statement with a name (prepared once per pool connection) and `$n` placeholders. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

export async function queryRows<T>(on: Queryable, statement: Statement, values: unknown[]): Promise<T[]> {
  if (on instanceof pg.Pool) return (await on.query({ ...statement, values })).rows as T[];
  return on.$queryRawUnsafe<T[]>(statement.text, ...values);
}
