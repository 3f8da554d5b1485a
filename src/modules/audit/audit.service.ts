/**
 * The audit trail (§7): `append(tx, …)` writes an event in the transaction of the change it records
 * (so either both exist or neither), chained to its predecessor; `page`, `exportRows` and `verify`
 * read it. Nothing here updates or deletes an event, and the database would refuse if it tried.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import QueryStream from 'pg-query-stream';
import type { Db, Tx } from '../../db/client.js';
import type { ChangeContext } from '../../lib/request-context.js';
import { type AuditFilter, auditRepository as events, toAuditRecord } from './audit.repository.js';
import {
  type AuditEntry,
  type AuditRecord,
  type ChainMismatch,
  checkLink,
  GENESIS_HASH,
  hashOf,
  PLATFORM_CHAIN,
} from './audit-event.js';

export interface VerifyResult {
  readonly ok: boolean;
  readonly chain: string;
  readonly checked: number;
  readonly firstMismatch: ChainMismatch | null;
}

export interface AuditServiceDeps {
  readonly db: Db;
  readonly pool: pg.Pool;
  readonly now?: () => Date;
}

const VERIFY_BATCH = 5000;

export function createAuditService({ db, pool, now = () => new Date() }: AuditServiceDeps) {
  return {
    /** Appends one event to its tenant's chain, inside the change's transaction. */
    async append(tx: Tx, ctx: ChangeContext, entry: AuditEntry): Promise<AuditRecord> {
      const chain = entry.tenantId ?? PLATFORM_CHAIN;
      await events.lockChain(tx, chain);
      const head = await events.head(tx, chain);
      const unhashed: Omit<AuditRecord, 'hash'> = {
        id: randomUUID(),
        chain,
        seq: (head?.seq ?? 0) + 1,
        tenantId: entry.tenantId,
        occurredAt: now().toISOString(),
        actor: ctx.actor,
        action: entry.action,
        target: entry.target,
        orgId: entry.orgId ?? null,
        requestId: ctx.requestId,
        sourceIp: ctx.sourceIp,
        userAgent: ctx.userAgent,
        outcome: entry.outcome ?? 'success',
        diff: JSON.parse(JSON.stringify(entry.diff ?? {})),
        prevHash: head?.hash ?? GENESIS_HASH,
      };
      const record = { ...unhashed, hash: hashOf(unhashed) };
      await events.insert(tx, record);
      return record;
    },

    async page(filter: AuditFilter, limit: number, beforeSeq?: number) {
      const rows = await events.page(db, filter, limit + 1, beforeSeq);
      const items = rows.slice(0, limit).map(toAuditRecord);
      const last = items.at(-1);
      return { items, nextBeforeSeq: rows.length > limit && last ? last.seq : null };
    },

    /**
     * Recomputes a chain (optionally the range fromSeq..toSeq) and names the first event that does
     * not match: altered content, a broken link or a gap in the sequence.
     */
    async verify(
      chain: string,
      range: { fromSeq?: number; toSeq?: number } = {},
      onProgress?: (checked: number) => void,
    ): Promise<VerifyResult> {
      const fromSeq = Math.max(1, range.fromSeq ?? 1);
      let previous: { seq: number; hash: string } | undefined;
      if (fromSeq > 1) {
        const before = await events.bySeq(db, chain, fromSeq - 1);
        if (before) previous = { seq: before.seq, hash: before.hash };
        else previous = { seq: fromSeq - 1, hash: GENESIS_HASH };
      }
      let checked = 0;
      let next = fromSeq;
      for (;;) {
        const rows = await events.batch(db, chain, next, range.toSeq, VERIFY_BATCH);
        for (const row of rows) {
          const record = toAuditRecord(row);
          const mismatch = checkLink(record, previous);
          checked += 1;
          if (mismatch) return { ok: false, chain, checked, firstMismatch: mismatch };
          previous = { seq: record.seq, hash: record.hash };
        }
        onProgress?.(checked);
        if (rows.length < VERIFY_BATCH) break;
        next = (previous?.seq ?? next) + 1;
      }
      return { ok: true, chain, checked, firstMismatch: null };
    },

    /**
     * The events matching `filter`, oldest first, from a database cursor: constant memory whatever
     * the size. The caller must call `release()` when the stream ends or fails.
     */
    async exportRows(filter: AuditFilter): Promise<{ rows: Readable; release: () => void }> {
      const client = await pool.connect();
      const params: unknown[] = [filter.chain];
      const where = ['chain = $1'];
      if (filter.chain !== PLATFORM_CHAIN) where.push('tenant_id = $1::uuid');
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replace('?', `$${params.length}`));
      };
      if (filter.orgScope)
        add(
          'org_id = ANY(?::uuid[])',
          filter.orgId ? filter.orgScope.filter((o) => o === filter.orgId) : filter.orgScope,
        );
      else if (filter.orgId) add('org_id = ?::uuid', filter.orgId);
      if (filter.actorId) add('actor_id = ?::uuid', filter.actorId);
      if (filter.actionPrefix) add('starts_with(action, ?)', filter.actionPrefix);
      if (filter.targetType) add('target_type = ?', filter.targetType);
      if (filter.targetId) add('target_id = ?', filter.targetId);
      if (filter.from) add('occurred_at >= ?', filter.from);
      if (filter.to) add('occurred_at < ?', filter.to);
      const query = new QueryStream(
        `SELECT id, chain, seq, tenant_id AS "tenantId", occurred_at AS "occurredAt", actor_type AS "actorType",
                actor_id AS "actorId", actor_name AS "actorName", action, target_type AS "targetType",
                target_id AS "targetId", org_id AS "orgId", request_id AS "requestId", source_ip AS "sourceIp",
                user_agent AS "userAgent", outcome, diff, prev_hash AS "prevHash", hash
           FROM audit_events WHERE ${where.join(' AND ')} ORDER BY seq ASC`,
        params,
        { batchSize: 1000 },
      );
      const rows = client.query(query);
      let released = false;
      return {
        rows,
        release: () => {
          if (released) return;
          released = true;
          client.release();
        },
      };
    },

    /** Every chain that exists: each tenant's and the platform's. */
    async chains(): Promise<string[]> {
      const tenants = await db.tenant.findMany({ select: { id: true }, orderBy: { createdAt: 'asc' } });
      return [PLATFORM_CHAIN, ...tenants.map((t) => t.id)];
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
