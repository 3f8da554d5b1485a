/**
 * Master-key rotation: re-wraps everything sealed directly by a master key (org data keys, tenant
 * fingerprint keys, tenant data keys, stored idempotent responses) with the active one. Secrets themselves are sealed
 * with data keys and need no re-encryption. Afterwards the old master keys can leave the keyring.
 * Safe to interrupt and re-run; safe beside a running service (each row is updated only if it still
 * carries the key id it was read with).
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { open, seal } from '../crypto/aead.js';
import { associatedData } from '../crypto/associated-data.js';
import type { Keyring } from '../crypto/keyring.js';
import { dataKeysRepository as keys, type StaleKeyRow, type WrappedKeyKind } from './data-keys.repository.js';

export interface RotationReport {
  readonly activeKeyId: string;
  readonly orgDataKeys: number;
  readonly tenantKeys: number;
  /** Tenants' data keys (their own secrets: webhook signing secrets). */
  readonly tenantDataKeys: number;
  readonly idempotentResponses: number;
  /** Rows still sealed by another key after the run (0 unless rows were added concurrently). */
  readonly remaining: number;
  /** Keys re-wrapped per tenant (its org data keys and its fingerprint key), for its audit trail. */
  readonly byTenant: Readonly<Record<string, number>>;
}

interface Batch<Row> {
  readonly label: string;
  count(): Promise<number>;
  next(limit: number): Promise<Row[]>;
  rewrap(row: Row): Promise<boolean>;
}

async function drain<Row>(batch: Batch<Row>, logger: Pick<Logger, 'info'>, size: number): Promise<number> {
  const total = await batch.count();
  logger.info({ kind: batch.label, total }, 'key rotation: starting');
  let done = 0;
  for (;;) {
    const rows = await batch.next(size);
    if (rows.length === 0) break;
    for (const row of rows) if (await batch.rewrap(row)) done += 1;
    logger.info({ kind: batch.label, done, total }, 'key rotation: progress');
  }
  return done;
}

/**
 * The stored idempotent responses, which master keys seal directly: the idempotency module's
 * repository, passed in by the caller (this module imports no module above it).
 */
export interface SealedResponses {
  countStaleResponses(db: Db, activeKeyId: string): Promise<number>;
  staleResponses(
    db: Db,
    activeKeyId: string,
    limit: number,
  ): Promise<Array<{ id: string; masterKeyId: string | null; responseSealed: string | null }>>;
  resealResponse(
    db: Db,
    id: string,
    from: string,
    to: { masterKeyId: string; responseSealed: string },
  ): Promise<boolean>;
}

export async function rotateMasterKey(
  { db, responses }: { readonly db: Db; readonly responses: SealedResponses },
  keyring: Keyring,
  logger: Pick<Logger, 'info'>,
  batchSize = 500,
): Promise<RotationReport> {
  const active = keyring.active;
  const byTenant: Record<string, number> = {};
  const counted = (tenantId: string, done: boolean) => {
    if (done) byTenant[tenantId] = (byTenant[tenantId] ?? 0) + 1;
    return done;
  };
  const rewrap = (masterKeyId: string, wrapped: string, aad: string) =>
    seal(active.key, open(keyring.get(masterKeyId).key, wrapped, aad), aad);

  /** Re-wraps the keys of one table; `aadOf` is the associated data each key was sealed with. */
  const drainKeys = (kind: WrappedKeyKind, label: string, aadOf: (row: StaleKeyRow) => string) =>
    drain<StaleKeyRow>(
      {
        label,
        count: () => keys.countStaleKeys(db, kind, active.id),
        next: (limit) => keys.staleKeys(db, kind, active.id, limit),
        rewrap: async (row) => {
          const aad = aadOf(row);
          const done = await keys.rewrapKey(db, kind, row.ownerId, row.masterKeyId, {
            masterKeyId: active.id,
            wrappedKey: rewrap(row.masterKeyId, row.wrappedKey, aad),
          });
          return counted(row.tenantId, done);
        },
      },
      logger,
      batchSize,
    );

  const orgDataKeys = await drainKeys('org', 'org data keys', (row) =>
    associatedData.orgDataKey(row.tenantId, row.ownerId),
  );
  const tenantKeys = await drainKeys('tenant', 'tenant fingerprint keys', (row) =>
    associatedData.tenantSecretKey(row.tenantId),
  );

  const tenantDataKeys = await drainKeys('tenantData', 'tenant data keys', (row) =>
    associatedData.tenantDataKey(row.tenantId),
  );

  const idempotentResponses = await drain(
    {
      label: 'idempotent responses',
      count: () => responses.countStaleResponses(db, active.id),
      next: (limit) => responses.staleResponses(db, active.id, limit),
      rewrap: async (row) => {
        if (!row.masterKeyId || !row.responseSealed) return false;
        const aad = associatedData.idempotentResponse(row.id);
        return responses.resealResponse(db, row.id, row.masterKeyId, {
          masterKeyId: active.id,
          responseSealed: rewrap(row.masterKeyId, row.responseSealed, aad),
        });
      },
    },
    logger,
    batchSize,
  );

  const remaining =
    (await keys.countStaleKeys(db, 'org', active.id)) +
    (await keys.countStaleKeys(db, 'tenant', active.id)) +
    (await keys.countStaleKeys(db, 'tenantData', active.id)) +
    (await responses.countStaleResponses(db, active.id));
  const report = {
    activeKeyId: active.id,
    orgDataKeys,
    tenantKeys,
    tenantDataKeys,
    idempotentResponses,
    remaining,
    byTenant,
  };
  logger.info(report, 'key rotation: finished');
  return report;
}
