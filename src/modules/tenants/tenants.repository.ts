import type { DbOrTx, Tx } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type TenantRow = Prisma.TenantGetPayload<object>;

export const tenantsRepository = {
  insert: (tx: Tx, data: { slug: string; name: string }) => tx.tenant.create({ data }),

  findById: (db: DbOrTx, id: string) => db.tenant.findUnique({ where: { id } }),

  list: (db: DbOrTx, limit: number, after?: { createdAt: Date; id: string }) =>
    db.tenant.findMany({
      where: after
        ? {
            OR: [
              { createdAt: { gt: after.createdAt } },
              { createdAt: after.createdAt, id: { gt: after.id } },
            ],
          }
        : {},
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit,
    }),

  /** Locks the tenant row for the rest of the transaction. */
  async lock(tx: Tx, id: string): Promise<TenantRow | null> {
    const rows = await tx.$queryRaw<
      { id: string }[]
    >`SELECT id FROM tenants WHERE id = ${id}::uuid FOR UPDATE`;
    return rows.length === 0 ? null : tx.tenant.findUnique({ where: { id } });
  },

  update: (
    tx: Tx,
    id: string,
    data: { name?: string; allowSelfApproval?: boolean; allowRollbackApproval?: boolean },
  ) =>
    tx.tenant.update({ where: { id }, data: { ...data, revision: { increment: 1 }, updatedAt: new Date() } }),
};
