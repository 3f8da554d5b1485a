/**
 * Raw SQL that runs either on `pg` (the pool, or one pooled connection inside a transaction) or
 * through Prisma. Outside a transaction the pool is the cheaper road (a prepared statement, no
 * query-builder round); inside a change's transaction the same statement goes through that
 * transaction, whichever kind it is. Hot statements take a {@link Queryable} so that callers choose.
 */
import type pg from 'pg';
import type { DbOrTx } from './client.js';

/** One pooled connection on which a transaction is open (see `inSqlTransaction`). */
export type SqlTx = pg.PoolClient;

/** A transaction of either kind: Prisma's interactive one, or a `pg` connection's. */
export type AnyTx = DbOrTx | SqlTx;

export type Queryable = DbOrTx | pg.Pool | SqlTx;

/** A statement with a name (prepared once per connection) and `$n` placeholders. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

const isPrisma = (on: Queryable): on is DbOrTx => '$queryRawUnsafe' in on;

export async function queryRows<T>(on: Queryable, statement: Statement, values: unknown[]): Promise<T[]> {
  if (!isPrisma(on)) return (await on.query({ ...statement, values })).rows as T[];
  return on.$queryRawUnsafe<T[]>(statement.text, ...values);
}

/** Runs a statement whose result has no rows worth reading (or none Prisma could read, e.g. `void`); returns the row count. */
export async function execute(on: Queryable, statement: Statement, values: unknown[]): Promise<number> {
  if (!isPrisma(on)) return (await on.query({ ...statement, values })).rowCount ?? 0;
  return on.$executeRawUnsafe(statement.text, ...values);
}
