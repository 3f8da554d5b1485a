/**
 * Keyset pagination on (created_at, id), the order of the lists of tenants, API keys and
 * deployments: a page is the `limit` rows that follow a position in that order, never an offset.
 */
import { type ColumnType, type SelectQueryBuilder, sql } from 'kysely';
import type { TimeIdPosition } from '../lib/cursor.js';

/** A table that can be paged in (created_at, id) order. */
interface TimeIdColumns {
  created_at: ColumnType<Date, unknown, unknown>;
  id: string;
}

// References by name, as the builder writes them, because the table is a type parameter here.
const createdAt = sql.ref<Date>('created_at');
const id = sql.ref<string>('id');

/**
 * `query` restricted to the rows after `after` (all rows when it is absent), in (created_at, id)
 * order, ascending or descending, and cut at `limit` rows.
 */
export function timeIdPage<DB extends Record<TB, TimeIdColumns>, TB extends keyof DB & string, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  order: 'asc' | 'desc',
  after: TimeIdPosition | undefined,
  limit: number,
): SelectQueryBuilder<DB, TB, O> {
  const beyond = order === 'asc' ? '>' : '<';
  let page = query;
  if (after) {
    page = page.where((eb) =>
      eb.or([
        eb(createdAt, beyond, after.createdAt),
        eb.and([eb(createdAt, '=', after.createdAt), eb(id, beyond, after.id)]),
      ]),
    );
  }
  return page.orderBy(createdAt, order).orderBy(id, order).limit(limit);
}
