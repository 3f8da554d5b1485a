/**
 * How a change is made: one transaction in which the change and its audit event(s) are written.
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

async function audited<T>(
  tx: Tx,
  audit: Appender,
  ctx: ChangeContext,
  work: (tx: Tx, trail: AuditTrailWriter) => Promise<T>,
): Promise<T> {
  let recorded = 0;
  let unchanged = false;
  const result = await work(tx, {
    async record(entry) {
      recorded += 1;
      return audit.append(tx, ctx, entry);
    },
    async recordAll(entries) {
      recorded += entries.length;
      return audit.appendAll(tx, ctx, entries);
    },
    unchanged() {
      unchanged = true;
    },
  });
  if (recorded === 0 && !unchanged) throw new UnauditedChangeError();
  return result;
}

export function createChangeRunner(db: Db, audit: Appender): ChangeRunner {
  return (ctx, work) => inTransaction(db, (tx) => audited(tx, audit, ctx, work));
}
