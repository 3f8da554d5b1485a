/**
 * How a change is made: one transaction in which the change and its audit event(s) are written, and
 * with them what the outbox makes of those events (webhook deliveries).
 * A change that records no event fails (and rolls back) unless it says it changed nothing, so an
 * audit event cannot be forgotten by a new code path without the tests noticing.
 */
import type { Db, Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import type { ChangeContext } from '../../lib/request-context.js';
import type { AuditService } from './audit.service.js';
import type { AuditEntry, AuditRecord } from './audit-event.js';

export interface AuditTrailWriter {
  /** Appends an event to the trail in this change's transaction. */
  record(entry: AuditEntry): Promise<AuditRecord>;
  /** Appends several events, in order (one lock and one insert per chain). */
  recordAll(entries: readonly AuditEntry[]): Promise<AuditRecord[]>;
  /** Declares that the change turned out to change nothing (so no event is due). */
  unchanged(): void;
}

/** Runs a change in one transaction, with the trail its audit events are written to. */
export type ChangeRunner = <T>(
  ctx: ChangeContext,
  work: (tx: Tx, trail: AuditTrailWriter) => Promise<T>,
) => Promise<T>;

export class UnauditedChangeError extends Error {
  constructor() {
    super('A change reached commit without an audit event; it was rolled back');
    this.name = 'UnauditedChangeError';
  }
}

type Appender = Pick<AuditService, 'append' | 'appendAll'>;

/**
 * Sees every audit record of a change before it commits, in its transaction (the webhooks' outbox:
 * the events of a change are written with it). May return what to do once the change committed.
 */
export type ChangeOutbox = (tx: Tx, records: readonly AuditRecord[]) => Promise<(() => void) | undefined>;

async function audited<T>(
  tx: Tx,
  audit: Appender,
  ctx: ChangeContext,
  work: (tx: Tx, trail: AuditTrailWriter) => Promise<T>,
  records: AuditRecord[],
): Promise<T> {
  let recorded = 0;
  let unchanged = false;
  const result = await work(tx, {
    async record(entry) {
      recorded += 1;
      const record = await audit.append(tx, ctx, entry);
      records.push(record);
      return record;
    },
    async recordAll(entries) {
      recorded += entries.length;
      const written = await audit.appendAll(tx, ctx, entries);
      records.push(...written);
      return written;
    },
    unchanged() {
      unchanged = true;
    },
  });
  if (recorded === 0 && !unchanged) throw new UnauditedChangeError();
  return result;
}

/**
 * Runs in the transaction of a change that recorded events (one that changed something), after its
 * work: the Idempotency-Key record of the request notes there that its change is made.
 */
export type ChangeMadeHook = (tx: Tx, ctx: ChangeContext) => Promise<void>;

export function createChangeRunner(
  db: Db,
  audit: Appender,
  outbox?: ChangeOutbox,
  onChangeMade?: ChangeMadeHook,
): ChangeRunner {
  return async (ctx, work) => {
    let afterCommit: (() => void) | undefined;
    const result = await inTransaction(db, async (tx) => {
      const records: AuditRecord[] = [];
      const value = await audited(tx, audit, ctx, work, records);
      if (records.length > 0) await onChangeMade?.(tx, ctx);
      afterCommit = await outbox?.(tx, records);
      return value;
    });
    afterCommit?.();
    return result;
  };
}
