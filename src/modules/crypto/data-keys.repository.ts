/** Storage of wrapped keys: the per-org data keys and the per-tenant fingerprint keys. */
import type { DbOrTx, Tx } from '../../db/client.js';

export interface WrappedKeyRow {
  readonly masterKeyId: string;
  readonly wrappedKey: string;
}

export const dataKeysRepository = {
  /** Raw SQL: read on every draft and forward whose key is not cached, cheaper than the query builder. */
  async findOrgKey(db: DbOrTx, orgId: string): Promise<(WrappedKeyRow & { tenantId: string }) | null> {
    const rows = await db.$queryRaw<Array<WrappedKeyRow & { tenantId: string }>>`
      SELECT tenant_id AS "tenantId", master_key_id AS "masterKeyId", wrapped_key AS "wrappedKey"
        FROM org_data_keys WHERE org_id = ${orgId}::uuid`;
    return rows[0] ?? null;
  },

  /** Inserts unless present (another transaction may create it concurrently); returns the stored row. */
  async insertOrgKey(tx: Tx, tenantId: string, orgId: string, row: WrappedKeyRow) {
    await tx.orgDataKey.createMany({ data: [{ orgId, tenantId, ...row }], skipDuplicates: true });
    return tx.orgDataKey.findUniqueOrThrow({ where: { orgId } });
  },

  deleteOrgKey: (tx: Tx, orgId: string) => tx.orgDataKey.deleteMany({ where: { orgId } }),

  findTenantKey: (db: DbOrTx, tenantId: string) =>
    db.tenantSecretKey.findUnique({ where: { tenantId }, select: { masterKeyId: true, wrappedKey: true } }),

  async insertTenantKey(tx: Tx, tenantId: string, row: WrappedKeyRow) {
    await tx.tenantSecretKey.createMany({ data: [{ tenantId, ...row }], skipDuplicates: true });
    return tx.tenantSecretKey.findUniqueOrThrow({ where: { tenantId } });
  },
};
