import type { DbOrTx, Tx } from '../../db/client.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { type AuditRecord, PLATFORM_CHAIN } from './audit-event.js';

export type AuditRow = Prisma.AuditEventGetPayload<object>;

export interface AuditFilter {
  readonly chain: string;
  readonly orgScope: readonly string[] | null;
  readonly orgId?: string;
  readonly actorId?: string;
  readonly actionPrefix?: string;
  readonly targetType?: string;
  readonly targetId?: string;
  readonly from?: Date;
  readonly to?: Date;
}

export function toAuditRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    chain: row.chain,
    seq: row.seq,
    tenantId: row.tenantId,
    occurredAt: row.occurredAt.toISOString(),
    actor: { type: row.actorType as 'api_key' | 'system', id: row.actorId, name: row.actorName },
    action: row.action,
    target: { type: row.targetType, id: row.targetId },
    orgId: row.orgId,
    requestId: row.requestId,
    sourceIp: row.sourceIp,
    userAgent: row.userAgent,
    outcome: row.outcome,
    diff: row.diff as AuditRecord['diff'],
    prevHash: row.prevHash,
    hash: row.hash,
  };
}

export function whereOf(f: AuditFilter): Prisma.AuditEventWhereInput {
  const orgIds = f.orgScope
    ? f.orgId
      ? f.orgScope.filter((id) => id === f.orgId)
      : [...f.orgScope]
    : undefined;
  return {
    chain: f.chain,
    // Redundant with chain for a tenant's chain, but lets the (tenant_id, org_id | actor_id | action,
    // seq) indexes serve filtered pages.
    ...(f.chain !== PLATFORM_CHAIN ? { tenantId: f.chain } : {}),
    ...(orgIds ? { orgId: { in: orgIds } } : f.orgId ? { orgId: f.orgId } : {}),
    ...(f.actorId ? { actorId: f.actorId } : {}),
    ...(f.actionPrefix ? { action: { startsWith: f.actionPrefix } } : {}),
    ...(f.targetType ? { targetType: f.targetType } : {}),
    ...(f.targetId ? { targetId: f.targetId } : {}),
    ...(f.from || f.to
      ? { occurredAt: { ...(f.from ? { gte: f.from } : {}), ...(f.to ? { lt: f.to } : {}) } }
      : {}),
  };
}

export const auditRepository = {
  /** Serialises writers of one chain until the transaction ends (gap-free sequence, unbroken links). */
  lockChain: (tx: Tx, chain: string) =>
    tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`audit:${chain}`}, 0))`,

  head: (tx: Tx, chain: string) =>
    tx.auditEvent.findFirst({
      where: { chain },
      orderBy: { seq: 'desc' },
      select: { seq: true, hash: true },
    }),

  insert: (tx: Tx, record: AuditRecord) =>
    tx.auditEvent.create({
      data: {
        id: record.id,
        chain: record.chain,
        seq: record.seq,
        tenantId: record.tenantId,
        occurredAt: new Date(record.occurredAt),
        actorType: record.actor.type,
        actorId: record.actor.id,
        actorName: record.actor.name,
        action: record.action,
        targetType: record.target.type,
        targetId: record.target.id,
        orgId: record.orgId,
        requestId: record.requestId,
        sourceIp: record.sourceIp,
        userAgent: record.userAgent,
        outcome: record.outcome,
        diff: record.diff as Prisma.InputJsonValue,
        prevHash: record.prevHash,
        hash: record.hash,
      },
    }),

  /** Newest first, keyset on seq. */
  page: (db: DbOrTx, filter: AuditFilter, limit: number, beforeSeq?: number) =>
    db.auditEvent.findMany({
      where: { ...whereOf(filter), ...(beforeSeq !== undefined ? { seq: { lt: beforeSeq } } : {}) },
      orderBy: { seq: 'desc' },
      take: limit,
    }),

  /** Oldest first from `fromSeq`, for verification. */
  batch: (db: DbOrTx, chain: string, fromSeq: number, toSeq: number | undefined, limit: number) =>
    db.auditEvent.findMany({
      where: { chain, seq: { gte: fromSeq, ...(toSeq !== undefined ? { lte: toSeq } : {}) } },
      orderBy: { seq: 'asc' },
      take: limit,
    }),

  bySeq: (db: DbOrTx, chain: string, seq: number) =>
    db.auditEvent.findUnique({ where: { chain_seq: { chain, seq } } }),
};
