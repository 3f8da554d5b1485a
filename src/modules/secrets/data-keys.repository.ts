/** Storage of wrapped keys: the per-org data keys and the per-tenant fingerprint keys. */
import type { DbOrTx, Tx } from '../../db/client.js';
import { type AnyTx, execute, type Queryable, queryRows } from '../../db/queryable.js';

export interface WrappedKeyRow {
  readonly masterKeyId: string;
  readonly wrappedKey: string;
}

const FIND_ORG_KEY = {
  name: 'org_data_key',
  text: `SELECT tenant_id AS "tenantId", master_key_id AS "masterKeyId", wrapped_key AS "wrappedKey"
           FROM org_data_keys WHERE org_id = $1::uuid`,
};

const INSERT_ORG_KEY = {
  name: 'org_data_key_insert',
  text: `INSERT INTO org_data_keys (org_id, tenant_id, master_key_id, wrapped_key)
         VALUES ($1::uuid, $2::uuid, $3, $4) ON CONFLICT (org_id) DO NOTHING`,
};

const FIND_TENANT_KEY = {
  name: 'tenant_secret_key',
  text: `SELECT master_key_id AS "masterKeyId", wrapped_key AS "wrappedKey"
           FROM tenant_secret_keys WHERE tenant_id = $1::uuid`,
};

export const dataKeysRepository = {
  /** Read on every draft and forward whose key is not cached: raw SQL, on the pool when outside a change. */
  async findOrgKey(db: Queryable, orgId: string): Promise<(WrappedKeyRow & { tenantId: string }) | null> {
    const rows = await queryRows<WrappedKeyRow & { tenantId: string }>(db, FIND_ORG_KEY, [orgId]);
    return rows[0] ?? null;
  },

  /** Inserts unless present (another transaction may create it concurrently); returns the stored row. */
  async insertOrgKey(tx: AnyTx, tenantId: string, orgId: string, row: WrappedKeyRow) {
    await execute(tx, INSERT_ORG_KEY, [orgId, tenantId, row.masterKeyId, row.wrappedKey]);
    const stored = await dataKeysRepository.findOrgKey(tx, orgId);
    if (!stored) throw new Error(`The data key of org ${orgId} was neither inserted nor found`);
    return stored;
  },

  deleteOrgKey: (tx: Tx, orgId: string) => tx.orgDataKey.deleteMany({ where: { orgId } }),

  async findTenantKey(db: Queryable, tenantId: string): Promise<WrappedKeyRow | null> {
    return (await queryRows<WrappedKeyRow>(db, FIND_TENANT_KEY, [tenantId]))[0] ?? null;
  },

  async insertTenantKey(tx: Tx, tenantId: string, row: WrappedKeyRow) {
    await tx.tenantSecretKey.createMany({ data: [{ tenantId, ...row }], skipDuplicates: true });
    return tx.tenantSecretKey.findUniqueOrThrow({ where: { tenantId } });
  },
};
