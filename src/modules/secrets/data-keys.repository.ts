/** Storage of wrapped keys: the per-org data keys and the per-tenant fingerprint keys. */
import type { Db, Tx } from '../../db/client.js';
import { countOf } from '../../db/count.js';
import { prepared } from '../../db/prepared.js';

export interface WrappedKeyRow {
  readonly masterKeyId: string;
  readonly wrappedKey: string;
}

// Read on every draft and forward whose key is not cached: prepared statements.
const FIND_ORG_KEY = prepared('org_data_key', (db, p: { orgId: string }) =>
  db
    .selectFrom('org_data_keys')
    .select(['tenant_id as tenantId', 'master_key_id as masterKeyId', 'wrapped_key as wrappedKey'])
    .where('org_id', '=', p.orgId),
);
const INSERT_ORG_KEY = prepared(
  'org_data_key_insert',
  (db, p: { orgId: string; tenantId: string; masterKeyId: string; wrappedKey: string }) =>
    db
      .insertInto('org_data_keys')
      .values({
        org_id: p.orgId,
        tenant_id: p.tenantId,
        master_key_id: p.masterKeyId,
        wrapped_key: p.wrappedKey,
      })
      .onConflict((oc) => oc.column('org_id').doNothing()),
);
const FIND_TENANT_KEY = prepared('tenant_secret_key', (db, p: { tenantId: string }) =>
  db
    .selectFrom('tenant_secret_keys')
    .select(['master_key_id as masterKeyId', 'wrapped_key as wrappedKey'])
    .where('tenant_id', '=', p.tenantId),
);

// Read by every webhook delivery whose tenant's key is not cached.
const FIND_TENANT_DATA_KEY = prepared('tenant_data_key', (db, p: { tenantId: string }) =>
  db
    .selectFrom('tenant_data_keys')
    .select(['master_key_id as masterKeyId', 'wrapped_key as wrappedKey'])
    .where('tenant_id', '=', p.tenantId),
);

/**
 * The three tables of keys wrapped by a master key, by what a key belongs to: an org's data key, a
 * tenant's fingerprint key or a tenant's data key. Rotation reads and re-wraps them alike.
 */
const WRAPPED_KEYS = {
  org: { table: 'org_data_keys', owner: 'org_id' },
  tenant: { table: 'tenant_secret_keys', owner: 'tenant_id' },
  tenantData: { table: 'tenant_data_keys', owner: 'tenant_id' },
} as const;

export type WrappedKeyKind = keyof typeof WRAPPED_KEYS;

/** A wrapped key of either table, as rotation reads it. */
export interface StaleKeyRow extends WrappedKeyRow {
  /** What the key belongs to: the org's id for a data key, the tenant's id for a fingerprint key. */
  readonly ownerId: string;
  readonly tenantId: string;
}

export const dataKeysRepository = {
  findOrgKey: async (db: Db, orgId: string): Promise<(WrappedKeyRow & { tenantId: string }) | null> =>
    (await FIND_ORG_KEY.first(db, { orgId })) ?? null,

  /** Inserts unless present (another transaction may create it concurrently); returns the stored row. */
  async insertOrgKey(tx: Tx, tenantId: string, orgId: string, row: WrappedKeyRow) {
    await INSERT_ORG_KEY.execute(tx, { orgId, tenantId, ...row });
    const stored = await dataKeysRepository.findOrgKey(tx, orgId);
    if (!stored) throw new Error(`The data key of org ${orgId} was neither inserted nor found`);
    return stored;
  },

  /** Deletes the org's data key; true when there was one. */
  deleteOrgKey: async (tx: Tx, orgId: string) =>
    Number(
      (await tx.deleteFrom('org_data_keys').where('org_id', '=', orgId).executeTakeFirst()).numDeletedRows,
    ) > 0,

  findTenantKey: async (db: Db, tenantId: string): Promise<WrappedKeyRow | null> =>
    (await FIND_TENANT_KEY.first(db, { tenantId })) ?? null,

  findTenantDataKey: async (db: Db, tenantId: string): Promise<WrappedKeyRow | null> =>
    (await FIND_TENANT_DATA_KEY.first(db, { tenantId })) ?? null,

  /** Inserts unless present (another transaction may create it concurrently); returns the stored row. */
  async insertTenantDataKey(tx: Tx, tenantId: string, row: WrappedKeyRow): Promise<WrappedKeyRow> {
    await tx
      .insertInto('tenant_data_keys')
      .values({ tenant_id: tenantId, master_key_id: row.masterKeyId, wrapped_key: row.wrappedKey })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute();
    const stored = await dataKeysRepository.findTenantDataKey(tx, tenantId);
    if (!stored) throw new Error(`The data key of tenant ${tenantId} was neither inserted nor found`);
    return stored;
  },

  /** Inserts unless present. */
  insertTenantKey: (tx: Tx, tenantId: string, row: WrappedKeyRow) =>
    tx
      .insertInto('tenant_secret_keys')
      .values({ tenant_id: tenantId, master_key_id: row.masterKeyId, wrapped_key: row.wrappedKey })
      .onConflict((oc) => oc.column('tenant_id').doNothing())
      .execute(),

  // Master-key rotation (rotation.ts): the keys wrapped by another key than the active one, a batch
  // at a time, and the re-wrap of one, only if it still carries the key it was read with.

  countStaleKeys: (db: Db, kind: WrappedKeyKind, activeKeyId: string) =>
    countOf(db.selectFrom(WRAPPED_KEYS[kind].table).where('master_key_id', '<>', activeKeyId)),

  staleKeys: (db: Db, kind: WrappedKeyKind, activeKeyId: string, limit: number): Promise<StaleKeyRow[]> => {
    const { table, owner } = WRAPPED_KEYS[kind];
    return db
      .selectFrom(table)
      .select([
        `${owner} as ownerId`,
        'tenant_id as tenantId',
        'master_key_id as masterKeyId',
        'wrapped_key as wrappedKey',
      ])
      .where('master_key_id', '<>', activeKeyId)
      .orderBy(owner, 'asc')
      .limit(limit)
      .execute();
  },

  rewrapKey: async (db: Db, kind: WrappedKeyKind, ownerId: string, from: string, to: WrappedKeyRow) =>
    Number(
      (
        await db
          .updateTable(WRAPPED_KEYS[kind].table)
          .set({ master_key_id: to.masterKeyId, wrapped_key: to.wrappedKey, rewrapped_at: new Date() })
          .where(WRAPPED_KEYS[kind].owner, '=', ownerId)
          .where('master_key_id', '=', from)
          .executeTakeFirst()
      ).numUpdatedRows,
    ) === 1,
};
