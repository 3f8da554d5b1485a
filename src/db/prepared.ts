/**
 * Hot statements, built once with Kysely and run as named prepared statements.
 *
 * A statement the service runs on every draft, forward or GET …/sso costs, through Kysely's builder,
 * about 25 µs to build and compile, and, unnamed, a parse and plan on both sides each time: measured
 * in the spike of issue 16, an org read took ~190 µs of CPU through the builder against ~60 µs as a
 * named statement (the way issue 7 had written these statements in raw SQL). `prepared` keeps the
 * builder's typing and the named statement's cost: the query is built and compiled once, with
 * stand-ins for its parameters; each run substitutes the values and runs the same text under the
 * statement's name (client.ts passes the name to `pg`, which prepares it once per connection).
 *
 * Only for statements of a fixed shape: parameters are values (`where(col, '=', p.x)`, `values`,
 * `set`, `limit`), never a list spread into `in (…)` (use `= any(${p.ids})` with an array). A
 * constant that a partial index's predicate names goes into the text (`sql.lit('pending')`): a
 * parameter in its place would keep a cached generic plan from using that index.
 */
import type { Compilable, CompiledQuery, Kysely } from 'kysely';
import type { DB } from '../generated/kysely/types.js';

const names = new Map<string, string>();

/** The name a statement's text runs under, if it was made by `prepared`. */
export function statementName(text: string): string | undefined {
  return names.get(text);
}

class Param {
  constructor(readonly key: string) {}
}

export interface Prepared<P, O> {
  /** Runs the statement on `db` (the pool or a transaction) with these parameter values. */
  execute(db: Kysely<DB>, params: P): Promise<O[]>;
  /** The first row, or undefined. */
  first(db: Kysely<DB>, params: P): Promise<O | undefined>;
  /** The number of rows it inserted, updated or deleted. */
  affected(db: Kysely<DB>, params: P): Promise<number>;
  /** The statement as `pg` receives it (for EXPLAIN in benchmarks). */
  statement(db: Kysely<DB>, params: P): { text: string; values: unknown[] };
}

/**
 * @param name the statement's name in `pg` (unique in the service)
 * @param build the query, written with `p.<name>` wherever a parameter's value goes
 */
export function prepared<P extends Record<string, unknown>, O>(
  name: string,
  build: (db: Kysely<DB>, p: P) => Compilable<O>,
): Prepared<P, O> {
  let compiled: CompiledQuery<O> | undefined;
  const compile = (db: Kysely<DB>): CompiledQuery<O> => {
    if (compiled) return compiled;
    const stand = new Proxy({} as P, { get: (_target, key) => new Param(String(key)) });
    const query = build(db, stand).compile();
    const known = names.get(query.sql);
    if (known !== undefined && known !== name)
      throw new Error(`Statement ${name} repeats statement ${known}`);
    names.set(query.sql, name);
    compiled = query;
    return query;
  };
  const valuesOf = (query: CompiledQuery<O>, params: P) =>
    query.parameters.map((value) => (value instanceof Param ? params[value.key] : value));
  const run = (db: Kysely<DB>, params: P) => {
    const query = compile(db);
    return db.executeQuery<O>({ ...query, parameters: valuesOf(query, params) });
  };
  return {
    execute: async (db, params) => (await run(db, params)).rows,
    first: async (db, params) => (await run(db, params)).rows[0],
    affected: async (db, params) => Number((await run(db, params)).numAffectedRows ?? 0n),
    statement: (db, params) => {
      const query = compile(db);
      return { text: query.sql, values: valuesOf(query, params) };
    },
  };
}
