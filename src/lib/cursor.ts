/**
 * Opaque pagination cursors: base64url of a small JSON array holding the last row's sort key.
 * Clients must not build them; a cursor that does not decode is a 400, not a 500.
 */
import { BadRequestError } from './errors.js';
import { UUID_PATTERN } from './identifiers.js';

const UUID = new RegExp(UUID_PATTERN);

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** @param shape one `typeof` name per element, e.g. ['string', 'string'] */
export function decodeCursor(cursor: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== shape.length ||
    parsed.some(
      (v, i) => typeof v !== shape[i] || (typeof v === 'string' && (v.length > 200 || v.includes('\u0000'))),
    )
  ) {
    throw new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued', {
      errors: [{ pointer: '/query/cursor', detail: 'Use nextCursor from a previous page unchanged' }],
    });
  }
  return parsed as (string | number)[];
}

/**
 * A time as this API writes it into cursors (`toISOString()` of a stored timestamp), or undefined.
 * Anything else, even a date JavaScript accepts (year -200000), could not be compared in SQL.
 */
export function cursorTime(value: string | number | undefined): Date | undefined {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(value))
    return undefined;
  const time = new Date(value);
  return Number.isNaN(time.getTime()) ? undefined : time;
}

/** The position after a row in (createdAt, id) order, as lists of tenants, API keys and deployments use it. */
export interface TimeIdPosition {
  readonly createdAt: Date;
  readonly id: string;
}

const invalidCursor = () =>
  new BadRequestError('PAGINATION_CURSOR_INVALID', 'The cursor is not one this API issued', {
    errors: [{ pointer: '/query/cursor', detail: 'Use nextCursor from a previous page unchanged' }],
  });

/** Decodes a cursor made by `timeIdCursor`, or refuses it with 400. */
export function decodeTimeIdCursor(cursor: string | undefined): TimeIdPosition | undefined {
  if (cursor === undefined) return undefined;
  const [time, id] = decodeCursor(cursor, ['string', 'string']);
  const createdAt = cursorTime(time);
  if (!createdAt || !UUID.test(String(id))) throw invalidCursor();
  return { createdAt, id: String(id) };
}

export const timeIdCursor = (row: TimeIdPosition) => encodeCursor([row.createdAt.toISOString(), row.id]);

/**
 * One page from rows fetched with `limit + 1`: the extra row only tells that a next page exists.
 */
export function pageOf<T>(rows: readonly T[], limit: number, cursorOf: (last: T) => string) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

/** The same page with each item turned into its view (`toView`); the cursor stays the rows'. */
export const mapPage = <T, V>(
  page: { readonly items: readonly T[]; readonly nextCursor: string | null },
  toView: (item: T) => V,
) => ({
  items: page.items.map((item) => toView(item)),
  nextCursor: page.nextCursor,
});
