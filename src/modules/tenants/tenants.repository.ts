import type { Selectable } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { timeIdPage } from '../../db/keyset.js';
import type { Tenant } from '../../generated/kysely/types.js';
import type { TimeIdPosition } from '../../lib/cursor.js';

export interface TenantRow {
  readonly id: string;
  readonly slug: string;
  readonly name: string;
  readonly allowSelfApproval: boolean;
  readonly allowRollbackApproval: boolean;
  readonly revision: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A row of `tenants` as the service sees it (the one mapping of this table). */
const tenantOf = (r: Selectable<Tenant>): TenantRow => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  allowSelfApproval: r.allow_self_approval,
  allowRollbackApproval: r.allow_rollback_approval,
  revision: r.revision,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const tenantsRepository = {
  insert: async (tx: Tx, data: { slug: string; name: string }) =>
    tenantOf(
      await tx
        .insertInto('tenants')
        .values({ id: uuidv7(), slug: data.slug, name: data.name })
        .returningAll()
        .executeTakeFirstOrThrow(),
    ),

  async findById(db: Db, id: string): Promise<TenantRow | null> {
    const row = await db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? tenantOf(row) : null;
  },

  async list(db: Db, limit: number, after?: TimeIdPosition): Promise<TenantRow[]> {
    const rows = await timeIdPage(db.selectFrom('tenants').selectAll(), 'asc', after, limit).execute();
    return rows.map(tenantOf);
  },

  /** The tenant row, locked for the rest of the transaction. */
  async lock(tx: Tx, id: string): Promise<TenantRow | null> {
    const row = await tx
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    return row ? tenantOf(row) : null;
  },

  /** The settings the review rules read. */
  settings: (db: Db, id: string) =>
    db
      .selectFrom('tenants')
      .select([
        'allow_self_approval as allowSelfApproval',
        'allow_rollback_approval as allowRollbackApproval',
      ])
      .where('id', '=', id)
      .executeTakeFirstOrThrow(),

  update: async (
    tx: Tx,
    id: string,
    data: { name?: string; allowSelfApproval?: boolean; allowRollbackApproval?: boolean },
  ) =>
    tenantOf(
      await tx
        .updateTable('tenants')
        .set((eb) => ({
          name: data.name,
          allow_self_approval: data.allowSelfApproval,
          allow_rollback_approval: data.allowRollbackApproval,
          revision: eb('revision', '+', 1),
          updated_at: new Date(),
        }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow(),
    ),
};
