import type { DbOrTx, Tx } from '../../db/client.js';
import { Prisma } from '../../generated/prisma/client.js';
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
   * of the transaction (serialises writers of one org) — one statement; then reads it whole.
   */
  async lockByRef(tx: Tx, tenantId: string, ref: { id: string } | { slug: string }): Promise<OrgRow | null> {
    const locked =
      'id' in ref
        ? await tx.$queryRaw<{ id: string }[]>`
            SELECT id FROM orgs WHERE id = ${ref.id}::uuid AND tenant_id = ${tenantId}::uuid FOR UPDATE`
        : await tx.$queryRaw<{ id: string }[]>`
            SELECT id FROM orgs WHERE slug = ${ref.slug} AND tenant_id = ${tenantId}::uuid
               AND archived_at IS NULL FOR UPDATE`;
    const id = locked[0]?.id;
    return id === undefined ? null : tx.org.findFirst({ where: { id, tenantId }, select: orgColumns });
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
  async list(db: DbOrTx, f: OrgListFilter): Promise<OrgRow[]> {
    const conditions: Prisma.Sql[] = [Prisma.sql`tenant_id = ${f.tenantId}::uuid`];
    conditions.push(f.archived ? Prisma.sql`archived_at IS NOT NULL` : Prisma.sql`archived_at IS NULL`);
    if (f.orgScope) conditions.push(Prisma.sql`id = ANY(${[...f.orgScope]}::uuid[])`);
    if (f.text) {
      const like = likePattern(f.text.toLowerCase());
      conditions.push(Prisma.sql`(slug LIKE ${like} OR lower(name) LIKE ${like})`);
    }
    if (Object.keys(f.labels).length > 0)
      conditions.push(Prisma.sql`labels @> ${JSON.stringify(f.labels)}::jsonb`);
    if (f.after) conditions.push(Prisma.sql`(slug, id) > (${f.after.slug}, ${f.after.id}::uuid)`);
    const ids = await db.$queryRaw<{ id: string }[]>`
      SELECT id FROM orgs WHERE ${Prisma.join(conditions, ' AND ')} ORDER BY slug, id LIMIT ${f.limit}`;
    if (ids.length === 0) return [];
    const rows = await db.org.findMany({ where: { id: { in: ids.map((r) => r.id) } }, select: orgColumns });
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.map((r) => byId.get(r.id)).filter((r): r is OrgRow => r !== undefined);
  },
};
