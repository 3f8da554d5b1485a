/**
 * Recording what came of the forwarder's calls: each call's attempt, its deployment's next state and,
 * for a final state, its audit event — in one transaction per batch, for the deployments whose lease
 * this worker still holds. A call's slot is freed at Cognigy's answer, before this write (issue 7).
 */
import type { Logger } from 'pino';
import { systemContext } from '../../lib/request-context.js';
import type { AuditEntry } from '../audit/audit-event.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import { deploymentEvent as audit } from './deployment-audit.js';
import {
  type AttemptRecord,
  type DeploymentRow,
  deploymentsRepository as deployments,
  type Settled,
} from './deployments.repository.js';
import type { ForwardingMetrics } from './forwarding-metrics.js';

export interface SettlementWriterDeps {
  readonly change: ChangeRunner;
  readonly logger: Pick<Logger, 'warn'>;
  /** The worker whose leases the written deployments must still be. */
  readonly worker: string;
  readonly metrics?: ForwardingMetrics;
}

/** What comes of a call: the deployment's next state. */
export type Next =
  | { state: 'succeeded' | 'superseded'; reason?: string }
  | { state: 'failed'; error: Record<string, unknown> }
  | { state: 'pending'; notBefore: Date; error: Record<string, unknown> | null };
interface Settlement {
  readonly d: DeploymentRow;
  readonly attempt: AttemptRecord;
  readonly next: Next;
  readonly done: (error?: unknown) => void;
}

/** Records calls' outcomes (see the file's comment); `settle` resolves once its outcome is written. */
export function createSettlementWriter({ change, logger, worker, metrics }: SettlementWriterDeps) {
  /** The audit event of a deployment's final state (a retry has none: it is in the attempt records). */
  function finalEvent({ d, attempt, next }: Settlement): AuditEntry | null {
    if (next.state === 'pending') return null;
    const error = next.state === 'failed' ? next.error : null;
    return {
      ...audit(d),
      action: `deployment.${next.state}` as const,
      diff: {
        before: { state: 'in_flight', version: d.versionNumber },
        after: {
          state: next.state,
          version: d.versionNumber,
          attempts: d.attempts + 1,
          ...(attempt.httpStatus ? { httpStatus: attempt.httpStatus } : {}),
          ...(attempt.traceId ? { traceId: attempt.traceId } : {}),
          ...(error ? { error } : {}),
          ...('reason' in next && next.reason ? { reason: next.reason } : {}),
        },
      },
    };
  }

  /**
   * Writes the attempts and the deployments' next states, and the final states' audit events, in
   * one transaction — for those whose lease is still ours.
   */
  async function write(batch: readonly Settlement[]) {
    await change(systemContext('forwarding'), async (tx, trail) => {
      const held = await deployments.locksHeld(
        tx,
        batch.map((s) => s.d.id),
        worker,
      );
      // A call that goes back to pending (a retry, or cut off by a stop) while a newer version of its
      // org was approved is superseded instead: the newer one is what Cognigy must get.
      const retries = batch.filter((s) => s.next.state === 'pending').map((s) => s.d.id);
      const overtaken = await deployments.newerWaiting(tx, retries);
      const events = [];
      const settled: Settled[] = [];
      for (const queued of batch) {
        const item: Settlement = overtaken.has(queued.d.id)
          ? {
              ...queued,
              next: { state: 'superseded', reason: 'a newer version was approved during the call' },
            }
          : queued;
        const { d, attempt, next } = item;
        if (!held.has(d.id)) {
          logger.warn(
            { deploymentId: d.id, worker },
            'forwarding: lease lost before the attempt was recorded',
          );
          continue;
        }
        settled.push({
          id: d.id,
          attempt,
          state: next.state,
          attempts: d.attempts + 1,
          ...(next.state === 'pending' ? { notBefore: next.notBefore } : {}),
          lastError: next.state === 'pending' || next.state === 'failed' ? next.error : null,
        });
        const event = finalEvent(item);
        if (event) events.push(event);
      }
      await deployments.settleAll(tx, settled);
      if (events.length > 0) await trail.recordAll(events);
      else trail.unchanged(); // retries only: their record is the attempt, the state is unchanged
    });
  }

  // Settlements wait in a queue and are written together: one transaction (and one hold of each
  // tenant's audit chain lock) for every call that finished while the previous write ran, instead
  // of one per call — with one tenant, the chain lock bounded forwarding at ~300 calls/s (issue 7).
  // One writer: since a call's slot is freed at the answer, no call waits for a write, and the
  // larger batches of one writer cost fewer statements per call than two writers' (two: 742/s,
  // one: 939/s in bench:forwarding, 3,000 orgs, round 2).
  const SETTLE_BATCH = 64;
  const SETTLE_WRITERS = 1;
  const queue: Settlement[] = [];
  let writers = 0;

  function drain() {
    while (writers < SETTLE_WRITERS && queue.length > 0) {
      const batch = queue.splice(0, SETTLE_BATCH);
      writers += 1;
      write(batch)
        .then(
          () => {
            for (const item of batch) item.done();
          },
          async (batchError: unknown) => {
            // One bad settlement must not fail the others: each is written alone.
            if (batch.length === 1) return batch[0]?.done(batchError);
            for (const item of batch) {
              await write([item]).then(
                () => item.done(),
                (error: unknown) => item.done(error),
              );
            }
          },
        )
        .finally(() => {
          writers -= 1;
          drain();
        });
    }
  }

  /** Records the attempt and the deployment's next state (batched with others; see above). */
  function settle(d: DeploymentRow, attempt: AttemptRecord, next: Next): Promise<void> {
    metrics?.attempt(attempt.outcome, attempt.httpStatus, attempt.durationMs);
    return new Promise<void>((resolve, reject) => {
      queue.push({ d, attempt, next, done: (error) => (error === undefined ? resolve() : reject(error)) });
      drain();
    });
  }

  return { settle };
}

export type SettlementWriter = ReturnType<typeof createSettlementWriter>;
