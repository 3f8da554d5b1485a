import type { Readable } from 'node:stream';
import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Db, Tx } from '../../db/client.js';
import { prepared } from '../../db/prepared.js';
import type { AuditEvent } from '../../generated/kysely/types.js';
import { type AuditActor, type AuditRecord, PLATFORM_CHAIN } from './audit-event.js';

export interface AuditFilter {
  readonly chain: string;
  readonly orgScope: readonly string[] | null;
  readonly orgId?: string;
  readonly actorId?: string;
  readonly actionPrefix?: string;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

/** The columns of an event, as `recordOf` reads them. */
const COLUMNS = [
  'id',
  'chain',
  'seq',
  'tenant_id',
  'occurred_at',
  'actor_type',
  'actor_id',
  'actor_name',
  'actor_person',
  'action',
  'target_type',
  'target_id',
  'org_id',
  'request_id',
  'source_ip',
  'user_agent',
  'outcome',
  'diff',
  'prev_hash',
  'hash',
] as const;

/** One stored event, as `pg` parses it. */
export type AuditRow = Selectable<AuditEvent>;

/** The event of a row (the one mapping of this table). */
export function recordOf(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    chain: row.chain,
    seq: row.seq,
    tenantId: row.tenant_id,
    occurredAt: row.occurred_at.toISOString(),
    actor:
      row.actor_person === null
        ? { type: row.actor_type as AuditActor['type'], id: row.actor_id, name: row.actor_name }
        : {
            type: row.actor_type as AuditActor['type'],
            id: row.actor_id,
            name: row.actor_name,
            person: JSON.parse(row.actor_person),
          },
    action: row.action,
    target: { type: row.target_type, id: row.target_id },
    orgId: row.org_id,
    requestId: row.request_id,
    sourceIp: row.source_ip,
    userAgent: row.user_agent,
    outcome: row.outcome,
    diff: row.diff as AuditRecord['diff'],
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The events of a filter (no order, no columns yet). */
function filtered(db: Db, f: AuditFilter) {
  let query = db.selectFrom('audit_events').where('chain', '=', f.chain);
  // Redundant with chain for a tenant's chain, but lets the (tenant_id, org_id | actor_id | action,
  // seq) indexes serve filtered pages.
  if (f.chain !== PLATFORM_CHAIN) query = query.where('tenant_id', '=', f.chain);
  if (f.orgScope) {
    const ids = f.orgId ? f.orgScope.filter((id) => id === f.orgId) : [...f.orgScope];
    query = query.where('org_id', '=', sql<string>`any(${ids}::uuid[])`);
  } else if (f.orgId) query = query.where('org_id', '=', f.orgId);
  if (f.actorId) query = query.where('actor_id', '=', f.actorId);
  if (f.actionPrefix) query = query.where(sql<boolean>`starts_with(action, ${f.actionPrefix})`);
  if (f.targetType) query = query.where('target_type', '=', f.targetType);
  if (f.targetId) query = query.where('target_id', '=', f.targetId);
  if (f.from) query = query.where('occurred_at', '>=', f.from);
  if (f.to) query = query.where('occurred_at', '<', f.to);
  return query;
}

/** A page of the events matching `filter`, newest first, keyset on seq (exported for the bench's EXPLAIN). */
export function pageQuery(db: Db, filter: AuditFilter, limit: number, beforeSeq?: number) {
  let query = filtered(db, filter);
  if (beforeSeq !== undefined) query = query.where('seq', '<', beforeSeq);
  return query.select(COLUMNS).orderBy('seq', 'desc').limit(limit);
}

/** A JSON value of a column: `to_json` escapes text exactly as `JSON.stringify` does. */
const json = (column: string) => `COALESCE(to_json(${column})::text, 'null')`;

/**
 * One NDJSON line of an export per event, written by Postgres: the bytes of
 * `JSON.stringify(recordOf(row))` except `diff`, which is jsonb's own text (see `lineOf`).
 * `occurredAt` is `toISOString()`'s form (`occurred_at` holds milliseconds, years 1-9999).
 */
const LINE =
  `'{"id":' || ${json('id')} || ',"chain":' || ${json('chain')} || ',"seq":' || seq ||` +
  ` ',"tenantId":' || ${json('tenant_id')} ||` +
  ` ',"occurredAt":"' || to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||` +
  ` '","actor":{"type":' || ${json('actor_type')} || ',"id":' || ${json('actor_id')} ||` +
  ` ',"name":' || ${json('actor_name')} || COALESCE(',"person":' || actor_person, '') ||` +
  ` '},"action":' || ${json('action')} ||` +
  ` ',"target":{"type":' || ${json('target_type')} || ',"id":' || ${json('target_id')} ||` +
  ` '},"orgId":' || ${json('org_id')} || ',"requestId":' || ${json('request_id')} ||` +
  ` ',"sourceIp":' || ${json('source_ip')} || ',"userAgent":' || ${json('user_agent')} ||` +
  ` ',"outcome":' || ${json('outcome')} || ',"diff":' || diff::text ||` +
  ` ',"prevHash":' || ${json('prev_hash')} || ',"hash":' || ${json('hash')} || '}'`;

/** Every event matching `filter`, oldest first (read through a cursor), as `AuditRow`s. */
export const exportQuery = (db: Db, filter: AuditFilter) =>
  filtered(db, filter).orderBy('seq', 'asc').select(COLUMNS);

/** The same as one NDJSON line each, for `lineOf`. */
export const exportLinesQuery = (db: Db, filter: AuditFilter) =>
  filtered(db, filter).orderBy('seq', 'asc').select(sql.raw<string>(LINE).as('line'));

/** A string, a `": "` or `", "` separator, or a number, in jsonb's text output. */
const JSONB_TOKEN = /"(?:[^"\\]|\\.)*"|[:,] |-?\d[\d.eE+-]*/g;
/** A key that JavaScript would move to the front of its object (an integer-like key), or near it. */
const INDEX_LIKE_KEY = /"\d+":/;

/**
 * The line of `exportLinesQuery`'s row with its `diff` as `JSON.stringify(JSON.parse(diff))`
 * writes it, so that the line is exactly `JSON.stringify(recordOf(row))` plus a newline. jsonb
 * prints `{"a": 1, "b": [1, 2]}`: the space after each separator goes, and a number is kept when
 * JavaScript prints it the same way (jsonb never uses exponents; `1e+21` and `1e-7` are rewritten).
 * Strings are escaped alike by both. An object with an integer-like key (which JavaScript orders
 * first) is parsed and stringified. Building the line in Postgres keeps the export's memory flat:
 * parsing 19 columns of a million rows in JavaScript grew the process by about 100 MB.
 */
export function lineOf(row: { line: string }): string {
  const line = row.line;
  const from = line.indexOf(',"diff":') + 8; // cannot occur earlier: quotes inside strings are escaped
  const to = line.lastIndexOf(',"prevHash":'); // only prevHash and hash (hex) follow the diff
  const diff = line.slice(from, to);
  const compact = INDEX_LIKE_KEY.test(diff)
    ? JSON.stringify(JSON.parse(diff))
    : diff.replace(JSONB_TOKEN, (token) => {
        if (token.charCodeAt(0) === 34) return token; // a string
        if (token.length === 2 && token.charCodeAt(1) === 32) return token.charAt(0); // a separator
        const n = Number(token);
        return String(n) === token ? token : JSON.stringify(n);
      });
  return `${line.slice(0, from)}${compact}${line.slice(to)}\n`;
}

/** Up to `limit` events of a chain from `fromSeq` (to `toSeq`), oldest first, for verification. */
export function batchQuery(db: Db, chain: string, fromSeq: number, toSeq: number | undefined, limit: number) {
  let query = db.selectFrom('audit_events').where('chain', '=', chain).where('seq', '>=', fromSeq);
  if (toSeq !== undefined) query = query.where('seq', '<=', toSeq);
  return query.select(COLUMNS).orderBy('seq', 'asc').limit(limit);
}

/** Serialises writers of one chain until the transaction ends (gap-free sequence, unbroken links). */
const LOCK_CHAIN = prepared('audit_lock_chain', (db, p: { key: string }) =>
  db.selectNoFrom(sql`pg_advisory_xact_lock(hashtextextended(${p.key}, 0))`.as('locked')),
);
const HEAD = prepared('audit_chain_head', (db, p: { chain: string }) =>
  db
    .selectFrom('audit_events')
    .select(['seq', 'hash'])
    .where('chain', '=', p.chain)
    .orderBy('seq', 'desc')
    .limit(1),
);
/**
 * Any number of events in one statement: one JSON array, unpacked by the server into rows of the
 * table (one bind parameter, not nineteen per event: at one event per forwarded deployment, a
 * statement per event cost more CPU than everything else the forwarder did for the call, issue 7).
 */
const INSERT_MANY = prepared('audit_insert_many', (db, p: { rows: string }) =>
  db
    .insertInto('audit_events')
    .columns(COLUMNS)
    .expression((eb) =>
      eb
        .selectFrom(sql<AuditRow>`jsonb_populate_recordset(NULL::audit_events, ${p.rows}::jsonb)`.as('r'))
        .select(COLUMNS),
    ),
);

export const auditRepository = {
  lockChain: (tx: Tx, chain: string) => LOCK_CHAIN.execute(tx, { key: `audit:${chain}` }),

  head: async (tx: Tx, chain: string): Promise<{ seq: number; hash: string } | null> =>
    (await HEAD.first(tx, { chain })) ?? null,

  insertMany: (tx: Tx, records: readonly AuditRecord[]) =>
    INSERT_MANY.affected(tx, {
      rows: JSON.stringify(
        records.map((record) => ({
          id: record.id,
          chain: record.chain,
          seq: record.seq,
          tenant_id: record.tenantId,
          occurred_at: record.occurredAt,
          actor_type: record.actor.type,
          actor_id: record.actor.id,
          actor_name: record.actor.name,
          // The exact JSON text of the person (JSON.stringify's, which the export line repeats).
          actor_person: record.actor.person === undefined ? null : JSON.stringify(record.actor.person),
          action: record.action,
          target_type: record.target.type,
          target_id: record.target.id,
          org_id: record.orgId,
          request_id: record.requestId,
          source_ip: record.sourceIp,
          user_agent: record.userAgent,
          outcome: record.outcome,
          diff: record.diff,
          prev_hash: record.prevHash,
          hash: record.hash,
        })),
      ),
    }),

  /** Newest first, keyset on seq. */
  page: (db: Db, filter: AuditFilter, limit: number, beforeSeq?: number) =>
    pageQuery(db, filter, limit, beforeSeq).execute(),

  /** Oldest first from `fromSeq`, for verification. */
  batch: (db: Db, chain: string, fromSeq: number, toSeq: number | undefined, limit: number) =>
    batchQuery(db, chain, fromSeq, toSeq, limit).execute(),

  /** The (seq, hash) of one event, or undefined. */
  linkAt: (db: Db, chain: string, seq: number) =>
    db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('chain', '=', chain)
      .where('seq', '=', seq)
      .executeTakeFirst(),

  /**
   * The events matching `filter`, oldest first, from a cursor on a connection of its own:
   * `AuditRow`s, or (`lines`) rows of one NDJSON line for `lineOf`. The statement is Kysely's; the
   * cursor is `pg`'s, which hands on each fetched batch at once (Kysely's stream yields row by row
   * through an async generator). The caller must call `release()` when the stream ends or fails.
   */
  async exportCursor(
    db: Db,
    pool: pg.Pool,
    filter: AuditFilter,
    batchSize: number,
    shape: 'rows' | 'lines',
  ): Promise<{ rows: Readable; release: () => void }> {
    const query = shape === 'lines' ? exportLinesQuery(db, filter) : exportQuery(db, filter);
    const { sql: text, parameters } = query.compile();
    const client = await pool.connect();
    const rows = client.query(new QueryStream(text, [...parameters], { batchSize }));
    let released = false;
    return {
      rows,
      release: () => {
        if (released) return;
        released = true;
        client.release();
      },
    };
  },

  /** Every chain's id but the platform's: one per tenant, oldest first. */
  tenantChains: async (db: Db) =>
    (await db.selectFrom('tenants').select('id').orderBy('created_at', 'asc').execute()).map((t) => t.id),
};
