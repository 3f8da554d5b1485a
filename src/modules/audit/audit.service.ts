/**
 * The audit trail (§7): `append(tx, …)` writes an event in the transaction of the change it records
 * (so either both exist or neither), chained to its predecessor; `page`, `exportRows` and `verify`
 * read it. Nothing here updates or deletes an event, and the database would refuse if it tried.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type pg from 'pg';
import type { Db, Tx } from '../../db/client.js';
import type { ChangeContext } from '../../lib/request-context.js';
import { type AuditFilter, type AuditRow, auditRepository as events, recordOf } from './audit.repository.js';
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
  /** For the export's cursor. */
  readonly pool: pg.Pool;
  readonly now?: () => Date;
}

/** Rows per verify query: large enough that round trips do not count, small enough to hold two. */
const VERIFY_BATCH = 10_000;
/**
 * Rows per cursor fetch of an export. The rows of a fetch are parsed at once and wait in the
 * stream's buffer; at 2,000 they outlived young-generation collections, were promoted, and the
 * process's RSS grew by 80-100 MB per export; at 500 it stays flat after the first (and is faster).
 */
const EXPORT_BATCH = 500;

export function createAuditService({ db, pool, now = () => new Date() }: AuditServiceDeps) {
  return {
    /** Appends one event to its tenant's chain, inside the change's transaction. */
    async append(tx: Tx, ctx: ChangeContext, entry: AuditEntry): Promise<AuditRecord> {
      return (await this.appendAll(tx, ctx, [entry]))[0] as AuditRecord;
    },

    /**
     * Appends events in order, inside the change's transaction: per chain one lock, one read of its
     * head and one insert, however many events — the chain's lock is held until commit, so a batch
     * (the forwarder settles many deployments at once) holds it once instead of once per event.
     * Chains are locked in a fixed order, so two batches spanning the same tenants cannot deadlock.
     */
    async appendAll(tx: Tx, ctx: ChangeContext, entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
      const byChain = new Map<string, AuditEntry[]>();
      for (const entry of entries) {
        const chain = entry.tenantId ?? PLATFORM_CHAIN;
        byChain.set(chain, [...(byChain.get(chain) ?? []), entry]);
      }
      const written = new Map<AuditEntry, AuditRecord>();
      for (const chain of [...byChain.keys()].sort()) {
        await events.lockChain(tx, chain);
        const head = await events.head(tx, chain);
        let seq = head?.seq ?? 0;
        let prevHash = head?.hash ?? GENESIS_HASH;
        const records: AuditRecord[] = [];
        for (const entry of byChain.get(chain) as AuditEntry[]) {
          seq += 1;
          const unhashed: Omit<AuditRecord, 'hash'> = {
            id: randomUUID(),
            chain,
            seq,
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
            prevHash,
          };
          const record = { ...unhashed, hash: hashOf(unhashed) };
          prevHash = record.hash;
          records.push(record);
          written.set(entry, record);
        }
        await events.insertMany(tx, records);
      }
      return entries.map((entry) => written.get(entry) as AuditRecord);
    },

    async page(filter: AuditFilter, limit: number, beforeSeq?: number) {
      const rows = await events.page(db, filter, limit + 1, beforeSeq);
      const items = rows.slice(0, limit).map(recordOf);
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
        const before = await events.linkAt(db, chain, fromSeq - 1);
        previous = before ?? { seq: fromSeq - 1, hash: GENESIS_HASH };
      }
      const read = (from: number) => {
        const batch = events.batch(db, chain, from, range.toSeq, VERIFY_BATCH);
        batch.catch(() => undefined); // awaited below, or abandoned when an earlier batch fails
        return batch;
      };
      let checked = 0;
      let pending: Promise<AuditRow[]> | undefined = read(fromSeq);
      while (pending) {
        const rows: AuditRow[] = await pending;
        // The next batch is read while this one is hashed: Postgres and Node work side by side.
        const last = rows.at(-1);
        pending = rows.length === VERIFY_BATCH && last ? read(last.seq + 1) : undefined;
        for (const row of rows) {
          const record = recordOf(row);
          const mismatch = checkLink(record, previous);
          checked += 1;
          if (mismatch) return { ok: false, chain, checked, firstMismatch: mismatch };
          previous = { seq: record.seq, hash: record.hash };
        }
        onProgress?.(checked);
      }
      return { ok: true, chain, checked, firstMismatch: null };
    },

    /**
     * The events matching `filter`, oldest first, from a database cursor: constant memory whatever
     * the size. `rows` gives `AuditRow`s, `lines` rows for `lineOf` (NDJSON). The caller must call
     * `release()` when the stream ends or fails.
     */
    async exportRows(
      filter: AuditFilter,
      shape: 'rows' | 'lines' = 'rows',
    ): Promise<{ rows: Readable; release: () => void }> {
      return events.exportCursor(db, pool, filter, EXPORT_BATCH, shape);
    },

    /** Every chain that exists: each tenant's and the platform's. */
    async chains(): Promise<string[]> {
      return [PLATFORM_CHAIN, ...(await events.tenantChains(db))];
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
