/**
 * Master-key rotation: re-wraps everything sealed directly by a master key (org data keys, tenant
 * fingerprint keys, stored idempotent responses) with the active one. Secrets themselves are sealed
 * with data keys and need no re-encryption. Afterwards the old master keys can leave the keyring.
 * Safe to interrupt and re-run; safe beside a running service (each row is updated only if it still
 * carries the key id it was read with).
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { open, seal } from '../crypto/aead.js';
import { associatedData } from '../crypto/associated-data.js';
import type { Keyring } from '../crypto/keyring.js';

export interface RotationReport {
  readonly activeKeyId: string;
  readonly orgDataKeys: number;
  readonly tenantKeys: number;
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

export async function rotateMasterKey(
  db: Db,
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
  const stale = { masterKeyId: { not: active.id } };
  const rewrap = (masterKeyId: string, wrapped: string, aad: string) =>
    seal(active.key, open(keyring.get(masterKeyId).key, wrapped, aad), aad);

  const orgDataKeys = await drain(
    {
      label: 'org data keys',
      count: () => db.orgDataKey.count({ where: stale }),
      next: (take) => db.orgDataKey.findMany({ where: stale, take, orderBy: { orgId: 'asc' } }),
      rewrap: async (row) => {
        const aad = associatedData.orgDataKey(row.tenantId, row.orgId);
        const { count } = await db.orgDataKey.updateMany({
          where: { orgId: row.orgId, masterKeyId: row.masterKeyId },
          data: {
            masterKeyId: active.id,
            wrappedKey: rewrap(row.masterKeyId, row.wrappedKey, aad),
            rewrappedAt: new Date(),
          },
        });
        return counted(row.tenantId, count === 1);
      },
    },
    logger,
    batchSize,
  );

  const tenantKeys = await drain(
    {
      label: 'tenant fingerprint keys',
      count: () => db.tenantSecretKey.count({ where: stale }),
      next: (take) => db.tenantSecretKey.findMany({ where: stale, take, orderBy: { tenantId: 'asc' } }),
      rewrap: async (row) => {
        const aad = associatedData.tenantSecretKey(row.tenantId);
        const { count } = await db.tenantSecretKey.updateMany({
          where: { tenantId: row.tenantId, masterKeyId: row.masterKeyId },
          data: {
            masterKeyId: active.id,
            wrappedKey: rewrap(row.masterKeyId, row.wrappedKey, aad),
            rewrappedAt: new Date(),
          },
        });
        return counted(row.tenantId, count === 1);
      },
    },
    logger,
    batchSize,
  );

  const staleResponse = { masterKeyId: { not: active.id }, responseSealed: { not: null } };
  const idempotentResponses = await drain(
    {
      label: 'idempotent responses',
      count: () => db.idempotencyRecord.count({ where: staleResponse }),
      next: (take) => db.idempotencyRecord.findMany({ where: staleResponse, take, orderBy: { id: 'asc' } }),
      rewrap: async (row) => {
        if (!row.masterKeyId || !row.responseSealed) return false;
        const aad = associatedData.idempotentResponse(row.id);
        const { count } = await db.idempotencyRecord.updateMany({
          where: { id: row.id, masterKeyId: row.masterKeyId },
          data: { masterKeyId: active.id, responseSealed: rewrap(row.masterKeyId, row.responseSealed, aad) },
        });
        return count === 1;
      },
    },
    logger,
    batchSize,
  );

  const remaining =
    (await db.orgDataKey.count({ where: stale })) +
    (await db.tenantSecretKey.count({ where: stale })) +
    (await db.idempotencyRecord.count({ where: staleResponse }));
  const report = {
    activeKeyId: active.id,
    orgDataKeys,
    tenantKeys,
    idempotentResponses,
    remaining,
    byTenant,
  };
  logger.info(report, 'key rotation: finished');
  return report;
}
