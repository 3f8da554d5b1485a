/**
 * A fingerprint of everything the service stores, to prove that a refused request changed nothing:
 * per table, the row count and the MD5 of all rows in primary-key order. Every table of the schema
 * is included, so tables added later are covered without touching the tests.
 *
 * Two things move legitimately on a refused request and are left out by default:
 * - `idempotency_records`: a POST with an Idempotency-Key keeps its 4xx answer for replay;
 * - `api_keys.last_used_at`: authenticating a request stamps the key, whatever the answer.
 */
import type pg from 'pg';

export interface TableFingerprint {
  readonly rows: number;
  readonly md5: string | null;
}

export type DatabaseSnapshot = Record<string, TableFingerprint>;

export interface SnapshotOptions {
  readonly ignoreTables?: readonly string[];
  readonly ignoreColumns?: Readonly<Record<string, readonly string[]>>;
}

export const DEFAULT_SNAPSHOT_OPTIONS: SnapshotOptions = {
  ignoreTables: ['idempotency_records'],
  ignoreColumns: { api_keys: ['last_used_at'] },
};

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

export async function snapshotDatabase(
  pool: pg.Pool,
  options: SnapshotOptions = DEFAULT_SNAPSHOT_OPTIONS,
): Promise<DatabaseSnapshot> {
  const tables = await pool.query<{ table_name: string; pk: string[] | null }>(`
    SELECT t.table_name,
           (SELECT array_agg(a.attname::text ORDER BY k.ord)
              FROM pg_index i
              CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             WHERE i.indrelid = format('%I.%I', t.table_schema, t.table_name)::regclass
               AND i.indisprimary) AS pk
      FROM information_schema.tables t
     WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE'
     ORDER BY t.table_name`);
  const snapshot: DatabaseSnapshot = {};
  for (const { table_name: table, pk } of tables.rows) {
    if (options.ignoreTables?.includes(table)) continue;
    const dropped = (options.ignoreColumns?.[table] ?? []).map((c) => ` - ${quoteLiteral(c)}`).join('');
    const row = `(to_jsonb(t)${dropped})::text`;
    const order = pk && pk.length > 0 ? pk.map((c) => `t.${quoteIdent(c)}`).join(', ') : row;
    const result = await pool.query<{ rows: string; md5: string | null }>(
      `SELECT count(*) AS rows, md5(string_agg(${row}, E'\\n' ORDER BY ${order})) AS md5
         FROM ${quoteIdent(table)} t`,
    );
    const first = result.rows[0];
    snapshot[table] = { rows: Number(first?.rows ?? 0), md5: first?.md5 ?? null };
  }
  return snapshot;
}
