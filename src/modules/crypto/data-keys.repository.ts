/** Storage of wrapped keys: the per-org data keys and the per-tenant fingerprint keys. */
import type { DbOrTx, Tx } from '../../db/client.js';
import { type Queryable, queryRows } from '../../db/queryable.js';

export interface WrappedKeyRow {
  readonly masterKeyId: string;
  readonly wrappedKey: string;
}

const FIND_ORG_KEY = {
  name: 'org_data_key',
  text: `SELECT tenant_id AS "tenantId", master_key_id AS "masterKeyId", wrapped_key AS "wrappedKey"
           FROM org_data_keys WHERE org_id = $1::uuid`,
};

export const dataKeysRepository = {
  /** Read on every draft and forward whose key is not cached: raw SQL, on the pool when outside a change. */
  async findOrgKey(db: Queryable, orgId: string): Promise<(WrappedKeyRow & { tenantId: string }) | null> {
    const rows = await queryRows<WrappedKeyRow & { tenantId: string }>(db, FIND_ORG_KEY, [orgId]);
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
