/** Storage of wrapped keys: the per-org data keys and the per-tenant fingerprint keys. */
import type { DbOrTx, Tx } from '../../db/client.js';

export interface WrappedKeyRow {
  readonly masterKeyId: string;
  readonly wrappedKey: string;
}

export const dataKeysRepository = {
  findOrgKey: (db: DbOrTx, orgId: string) =>
    db.orgDataKey.findUnique({
      where: { orgId },
      select: { tenantId: true, masterKeyId: true, wrappedKey: true },
    }),

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
