/** Counting rows: `count(*)` of a query, as a number (PostgreSQL returns a bigint, which `pg` reads as text). */
import type { SelectQueryBuilder } from 'kysely';

/** How many rows `query` (a `selectFrom` with its `where`s, nothing selected yet) matches. */
export async function countOf<DB, TB extends keyof DB>(
  query: SelectQueryBuilder<DB, TB, object>,
): Promise<number> {
  const row = await query
    .select((eb) => eb.fn.countAll().as('n'))
    .$castTo<{ n: string | number | bigint }>() // the selection's type does not resolve while TB is generic
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
