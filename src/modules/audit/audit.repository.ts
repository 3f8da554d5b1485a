import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import { type AnyTx, execute, queryRows } from '../../db/queryable.js';
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

/**
 * The columns of an event in the order `recordOf` reads them. Reads go straight through `pg` with
 * rows as arrays: at a million events, Prisma's per-row mapping (and, for a 50-row page, its
 * query compilation) cost several times the SQL itself.
 */
const COLUMNS =
  'id, chain, seq, tenant_id, occurred_at, actor_type, actor_id, actor_name, action, target_type, ' +
  'target_id, org_id, request_id, source_ip, user_agent, outcome, diff, prev_hash, hash';

/** One row of `COLUMNS`, as `pg` parses it (`rowMode: 'array'`). */
export type AuditRow = [
  id: string,
  chain: string,
  seq: number,
  tenantId: string | null,
  occurredAt: Date,
  actorType: string,
  actorId: string | null,
  actorName: string,
  action: string,
  targetType: string,
  targetId: string,
  orgId: string | null,
  requestId: string | null,
  sourceIp: string | null,
  userAgent: string | null,
  outcome: string,
  diff: AuditRecord['diff'],
  prevHash: string,
  hash: string,
];

export function recordOf(row: AuditRow): AuditRecord {
  return {
    id: row[0],
    chain: row[1],
    seq: row[2],
    tenantId: row[3],
    occurredAt: row[4].toISOString(),
    actor: { type: row[5] as AuditActor['type'], id: row[6], name: row[7] },
    action: row[8],
    target: { type: row[9], id: row[10] },
    orgId: row[11],
    requestId: row[12],
    sourceIp: row[13],
    userAgent: row[14],
    outcome: row[15],
    diff: row[16],
    prevHash: row[17],
    hash: row[18],
  };
}

/** A parameterised statement whose rows are `AuditRow`s. */
export interface AuditQuery {
  readonly text: string;
  readonly values: unknown[];
  readonly rowMode: 'array';
}

/** The WHERE clause of a filter; its parameters are appended to `values`. */
function whereOf(f: AuditFilter, values: unknown[]): string {
  const where: string[] = [];
  const add = (sql: string, value: unknown) => {
    values.push(value);
    where.push(sql.replace('?', `$${values.length}`));
  };
  add('chain = ?', f.chain);
  // Redundant with chain for a tenant's chain, but lets the (tenant_id, org_id | actor_id | action,
  // seq) indexes serve filtered pages.
  if (f.chain !== PLATFORM_CHAIN) where.push('tenant_id = $1::uuid');
  if (f.orgScope)
    add('org_id = ANY(?::uuid[])', f.orgId ? f.orgScope.filter((id) => id === f.orgId) : [...f.orgScope]);
  else if (f.orgId) add('org_id = ?::uuid', f.orgId);
  if (f.actorId) add('actor_id = ?::uuid', f.actorId);
  if (f.actionPrefix) add('starts_with(action, ?)', f.actionPrefix);
  if (f.targetType) add('target_type = ?', f.targetType);
  if (f.targetId) add('target_id = ?', f.targetId);
  if (f.from) add('occurred_at >= ?', f.from);
  if (f.to) add('occurred_at < ?', f.to);
  return where.join(' AND ');
}

/** A page of the events matching `filter`, newest first, keyset on seq (exported for the bench's EXPLAIN). */
export function pageQuery(filter: AuditFilter, limit: number, beforeSeq?: number): AuditQuery {
  const values: unknown[] = [];
  let where = whereOf(filter, values);
  if (beforeSeq !== undefined) {
    values.push(beforeSeq);
    where += ` AND seq < $${values.length}`;
  }
  values.push(limit);
  return {
    text: `SELECT ${COLUMNS} FROM audit_events WHERE ${where} ORDER BY seq DESC LIMIT $${values.length}`,
    values,
    rowMode: 'array',
  };
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
  ` ',"name":' || ${json('actor_name')} || '},"action":' || ${json('action')} ||` +
  ` ',"target":{"type":' || ${json('target_type')} || ',"id":' || ${json('target_id')} ||` +
  ` '},"orgId":' || ${json('org_id')} || ',"requestId":' || ${json('request_id')} ||` +
  ` ',"sourceIp":' || ${json('source_ip')} || ',"userAgent":' || ${json('user_agent')} ||` +
  ` ',"outcome":' || ${json('outcome')} || ',"diff":' || diff::text ||` +
  ` ',"prevHash":' || ${json('prev_hash')} || ',"hash":' || ${json('hash')} || '}'`;

/**
 * Every event matching `filter`, oldest first (read through a cursor): as `AuditRow`s, or
 * (`lines`) as one NDJSON line each, for `lineOf`.
 */
export function exportQuery(filter: AuditFilter, shape: 'rows' | 'lines' = 'rows'): AuditQuery {
  const values: unknown[] = [];
  const where = whereOf(filter, values);
  return {
    text: `SELECT ${shape === 'lines' ? LINE : COLUMNS} FROM audit_events WHERE ${where} ORDER BY seq ASC`,
    values,
    rowMode: 'array',
  };
}

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
export function lineOf(row: [line: string]): string {
  const line = row[0];
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
export function batchQuery(
  chain: string,
  fromSeq: number,
  toSeq: number | undefined,
  limit: number,
): AuditQuery {
  const values: unknown[] = [chain, fromSeq, limit];
  let where = 'chain = $1 AND seq >= $2';
  if (toSeq !== undefined) {
    values.push(toSeq);
    where += ' AND seq <= $4';
  }
  return {
    text: `SELECT ${COLUMNS} FROM audit_events WHERE ${where} ORDER BY seq ASC LIMIT $3`,
    values,
    rowMode: 'array',
  };
}

const LOCK_CHAIN = {
  name: 'audit_lock_chain',
  text: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
};
const HEAD = {
  name: 'audit_chain_head',
  text: 'SELECT seq, hash FROM audit_events WHERE chain = $1 ORDER BY seq DESC LIMIT 1',
};
/** Any number of events in one statement: one JSON array, unpacked by the server into rows of the table. */
const INSERT_MANY = {
  name: 'audit_insert_many',
  text: `INSERT INTO audit_events (${COLUMNS})
         SELECT ${COLUMNS} FROM jsonb_populate_recordset(NULL::audit_events, $1::jsonb)`,
};

export const auditRepository = {
  /** Serialises writers of one chain until the transaction ends (gap-free sequence, unbroken links). */
  lockChain: (tx: AnyTx, chain: string) => execute(tx, LOCK_CHAIN, [`audit:${chain}`]),

  async head(tx: AnyTx, chain: string): Promise<{ seq: number; hash: string } | null> {
    return (await queryRows<{ seq: number; hash: string }>(tx, HEAD, [chain]))[0] ?? null;
  },

  /**
   * Raw SQL, not the query builder: at one event per forwarded deployment, Prisma's createMany cost
   * more CPU than everything else the forwarder did for the call (issue 7).
   */
  insertMany: (tx: AnyTx, records: readonly AuditRecord[]) =>
    execute(tx, INSERT_MANY, [
      JSON.stringify(
        records.map((record) => ({
          id: record.id,
          chain: record.chain,
          seq: record.seq,
          tenant_id: record.tenantId,
          occurred_at: record.occurredAt,
          actor_type: record.actor.type,
          actor_id: record.actor.id,
          actor_name: record.actor.name,
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
    ]),

  /** Newest first, keyset on seq. */
  page: async (pool: pg.Pool, filter: AuditFilter, limit: number, beforeSeq?: number) =>
    (await pool.query<AuditRow>(pageQuery(filter, limit, beforeSeq))).rows,

  /** Oldest first from `fromSeq`, for verification. */
  batch: async (pool: pg.Pool, chain: string, fromSeq: number, toSeq: number | undefined, limit: number) =>
    (await pool.query<AuditRow>(batchQuery(chain, fromSeq, toSeq, limit))).rows,

  /** The (seq, hash) of one event, or undefined. */
  linkAt: async (pool: pg.Pool, chain: string, seq: number) =>
    (
      await pool.query<{ seq: number; hash: string }>(
        'SELECT seq, hash FROM audit_events WHERE chain = $1 AND seq = $2',
        [chain, seq],
      )
    ).rows[0],

  /**
   * The events matching `filter`, oldest first, from a cursor: `AuditRow`s, or (`lines`) rows of
   * one NDJSON line for `lineOf`.
   */
  cursor: (filter: AuditFilter, batchSize: number, shape: 'rows' | 'lines') => {
    const { text, values, rowMode } = exportQuery(filter, shape);
    return new QueryStream(text, values, { batchSize, rowMode });
  },
};
