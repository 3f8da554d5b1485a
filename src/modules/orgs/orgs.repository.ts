import type pg from 'pg';
import type { DbOrTx, Tx } from '../../db/client.js';
import { type AnyTx, queryRows } from '../../db/queryable.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { Labels } from '../../lib/schemas.js';

const orgColumns = {
  id: true,
  tenantId: true,
  slug: true,
  name: true,
  labels: true,
  revision: true,
  createdAt: true,
  updatedAt: true,
  archivedAt: true,
  cognigy: {
    select: { apiBase: true, organisationId: true, apiKeyFingerprint: true, updatedAt: true },
  },
  // Whether the org's secrets can still be decrypted (the data key is gone after crypto-shredding).
  dataKey: { select: { orgId: true } },
} as const;

export type OrgRow = Prisma.OrgGetPayload<{ select: typeof orgColumns }>;

/** The columns of an OrgRow, read with `pg` (the hot reads: find, list). */
const ORG_SELECT = `
  SELECT o.id, o.tenant_id, o.slug, o.name, o.labels, o.revision, o.created_at, o.updated_at, o.archived_at,
         t.api_base, t.organisation_id, t.api_key_fingerprint, t.updated_at AS cognigy_updated_at,
         k.org_id IS NOT NULL AS has_data_key
    FROM orgs o
    LEFT JOIN cognigy_targets t ON t.org_id = o.id
    LEFT JOIN org_data_keys k ON k.org_id = o.id`;

/** The org row, locked until the transaction ends (`FOR UPDATE OF o`: the joined rows stay unlocked). */
const LOCK_BY_ID = {
  name: 'org_lock_by_id',
  text: `${ORG_SELECT} WHERE o.id = $2::uuid AND o.tenant_id = $1::uuid FOR UPDATE OF o`,
};
const LOCK_BY_SLUG = {
  name: 'org_lock_by_slug',
  text: `${ORG_SELECT} WHERE o.slug = $2 AND o.tenant_id = $1::uuid AND o.archived_at IS NULL FOR UPDATE OF o`,
};

interface OrgSqlRow {
  id: string;
  tenant_id: string;
  slug: string;
  name: string;
  labels: Prisma.JsonValue;
  revision: number;
  created_at: Date;
  updated_at: Date;
  archived_at: Date | null;
  api_base: string | null;
  organisation_id: string | null;
  api_key_fingerprint: string | null;
  cognigy_updated_at: Date | null;
  has_data_key: boolean;
}

const toOrgRow = (r: OrgSqlRow): OrgRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  slug: r.slug,
  name: r.name,
  labels: r.labels,
  revision: r.revision,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  archivedAt: r.archived_at,
  cognigy:
    r.api_base === null
      ? null
      : {
          apiBase: r.api_base,
          organisationId: r.organisation_id,
          apiKeyFingerprint: r.api_key_fingerprint as string,
          updatedAt: r.cognigy_updated_at as Date,
        },
  dataKey: r.has_data_key ? { orgId: r.id } : null,
});

export interface OrgListFilter {
  readonly tenantId: string;
  readonly orgScope: readonly string[] | null;
  readonly archived: boolean;
  readonly text?: string;
  readonly labels: Labels;
  readonly after?: { slug: string; id: string };
  readonly limit: number;
}

const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export const orgsRepository = {
  findById: (db: DbOrTx, tenantId: string, id: string) =>
    db.org.findFirst({ where: { id, tenantId }, select: orgColumns }),

  findActiveBySlug: (db: DbOrTx, tenantId: string, slug: string) =>
    db.org.findFirst({ where: { slug, tenantId, archivedAt: null }, select: orgColumns }),

  /**
   * Finds the org by id (any) or slug (active only), as `find` does, and locks its row for the rest
   * of the transaction (serialises writers of one org): one statement, in a transaction of either kind.
   */
  async lockByRef(
    tx: AnyTx,
    tenantId: string,
    ref: { id: string } | { slug: string },
  ): Promise<OrgRow | null> {
    const rows = await queryRows<OrgSqlRow>(tx, 'id' in ref ? LOCK_BY_ID : LOCK_BY_SLUG, [
      tenantId,
      'id' in ref ? ref.id : ref.slug,
    ]);
    return rows[0] ? toOrgRow(rows[0]) : null;
  },

  insert: (tx: Tx, tenantId: string, data: { slug: string; name: string; labels: Labels }) =>
    tx.org.create({ data: { tenantId, ...data }, select: orgColumns }),

  /** Applies `data` and bumps the revision; the caller holds the row lock. */
  update: (tx: Tx, id: string, data: Prisma.OrgUpdateInput) =>
    tx.org.update({
      where: { id },
      data: { ...data, revision: { increment: 1 }, updatedAt: new Date() },
      select: orgColumns,
    }),

  countActiveInScope: (db: DbOrTx, tenantId: string, ids: readonly string[]) =>
    db.org.count({ where: { tenantId, archivedAt: null, id: { in: [...ids] } } }),

  /** One page in (slug, id) order. Raw SQL so that label filters use the GIN index (`@>`). */
  /** A page in (slug, id) order, with each org's target: one statement on the pool. */
  async list(pool: pg.Pool, f: OrgListFilter): Promise<OrgRow[]> {
    const values: unknown[] = [f.tenantId];
    const conditions = ['o.tenant_id = $1::uuid'];
    const add = (sql: (n: number) => string, value: unknown) => {
      values.push(value);
      conditions.push(sql(values.length));
    };
    conditions.push(f.archived ? 'o.archived_at IS NOT NULL' : 'o.archived_at IS NULL');
    if (f.orgScope) add((n) => `o.id = ANY($${n}::uuid[])`, [...f.orgScope]);
    if (f.text)
      add((n) => `(o.slug LIKE $${n} OR lower(o.name) LIKE $${n})`, likePattern(f.text.toLowerCase()));
    if (Object.keys(f.labels).length > 0) add((n) => `o.labels @> $${n}::jsonb`, JSON.stringify(f.labels));
    if (f.after) {
      values.push(f.after.slug, f.after.id);
      conditions.push(`(o.slug, o.id) > ($${values.length - 1}, $${values.length}::uuid)`);
    }
    values.push(f.limit);
    const { rows } = await pool.query<OrgSqlRow>(
      `${ORG_SELECT} WHERE ${conditions.join(' AND ')} ORDER BY o.slug, o.id LIMIT $${values.length}`,
      values,
    );
    return rows.map(toOrgRow);
  },

  /** `findById` / `findActiveBySlug` outside a transaction: one prepared statement on the pool. */
  async findOnPool(pool: pg.Pool, tenantId: string, ref: { id: string } | { slug: string }) {
    const { rows } = await pool.query<OrgSqlRow>(
      'id' in ref
        ? {
            name: 'org_by_id',
            text: `${ORG_SELECT} WHERE o.id = $2::uuid AND o.tenant_id = $1::uuid`,
            values: [tenantId, ref.id],
          }
        : {
            name: 'org_by_slug',
            text: `${ORG_SELECT} WHERE o.slug = $2 AND o.tenant_id = $1::uuid AND o.archived_at IS NULL`,
            values: [tenantId, ref.slug],
          },
    );
    return rows[0] ? toOrgRow(rows[0]) : null;
  },
};
