/**
 * The worker that forwards approved versions to Cognigy (§6). It claims due deployments from the
 * outbox, makes one attempt each (the secret decrypted just before the call, in memory only), and
 * records the attempt with its outcome in one transaction: succeeded, failed (not retryable, or out of
 * attempts or time), or back to pending with a backoff. Several processes may run it on one database:
 * claims skip locked rows, one deployment per org is in flight, and a lease that is not renewed
 * (the process died) makes the deployment claimable again.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { systemContext } from '../../lib/request-context.js';
import type { AuditEntry } from '../audit/audit-event.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { CognigyClient } from '../cognigy/cognigy-client.js';
import {
  type CognigyRequest,
  type CognigyTargetCredentials,
  cognigyRequest,
  type SsoContent,
  type SsoSecrets,
} from '../cognigy/cognigy-request.js';
import { deploymentEvent } from './deployment-audit.js';
import {
  type AttemptRecord,
  type ClaimedDeployment,
  type DeploymentRow,
  deploymentsRepository as deployments,
  type Settled,
} from './deployments.repository.js';
import type { ForwardingMetrics } from './forwarding-metrics.js';
import { classify, decide, type RetryPolicy } from './retry-policy.js';

/** What the forwarder needs of a version: its content, approved hash and plain secrets (for one call). */
export interface ForwardableVersion {
  readonly content: SsoContent;
  readonly contentHash: string;
  readonly approvedHash: string | null;
  readonly openSecrets: () => Promise<SsoSecrets>;
}

export interface ForwarderDeps {
  /** The worker's own statements (claim, heartbeat) run on it, prepared. */
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly client: CognigyClient;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  readonly loadTarget: (tenantId: string, orgId: string) => Promise<CognigyTargetCredentials | null>;
  readonly loadVersion: (versionId: string) => Promise<ForwardableVersion | null>;
  readonly policy: RetryPolicy;
  /** Calls in flight at once, in this process. */
  readonly concurrency: number;
  /** Calls in flight at once to one Cognigy API base, in this process. */
  readonly perApiBase: number;
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly workerId?: string;
  readonly metrics?: ForwardingMetrics;
  readonly random?: () => number;
}

/** A counting semaphore per key. */
function keyedLimiter(limit: number) {
  const active = new Map<string, number>();
  const waiting = new Map<string, Array<() => void>>();
  return {
    async acquire(key: string): Promise<() => void> {
      if ((active.get(key) ?? 0) >= limit) {
        await new Promise<void>((resolve) => {
          const queue = waiting.get(key) ?? [];
          queue.push(resolve);
          waiting.set(key, queue);
        });
      }
      active.set(key, (active.get(key) ?? 0) + 1);
      return () => {
        active.set(key, (active.get(key) ?? 1) - 1);
        const next = waiting.get(key)?.shift();
        if (next) next();
        else if ((active.get(key) ?? 0) === 0) active.delete(key);
      };
    },
  };
}

const INTERRUPTED_DETAIL =
  'The call was cut off because the service stopped; Cognigy may have applied it. Sent again at the next start.';

class NotSendable extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export function createForwarder(deps: ForwarderDeps) {
  const { db, change, client, logger, policy } = deps;
  const worker = deps.workerId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const random = deps.random ?? Math.random;
  const limiter = keyedLimiter(deps.perApiBase);
  const claimBatch = Math.max(1, Math.floor(deps.concurrency / 8));
  // Every claimed deployment's job, until its outcome is written (for stop()).
  const running = new Map<string, Promise<void>>();
  // A slot is held from the claim until the call has its answer; the outcome is then written (in a
  // batch, see settle) after the slot is free, so the next call does not wait for that write
  // (issue 7: 695 → 739 forwards/s in bench:forwarding). Jobs still being written count against a
  // second bound, so a slow database cannot pile up claimed deployments.
  let calling = 0;
  const free = () => Math.min(deps.concurrency - calling, 2 * deps.concurrency - running.size);
  let stopping = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  let loop: Promise<void> | undefined;
  // One signal shared by every call in flight (each adds a listener): no listener limit.
  const newAbort = () => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  };
  let abort = newAbort();

  const audit = deploymentEvent;

  async function prepare(d: DeploymentRow): Promise<CognigyRequest> {
    const [version, target] = await Promise.all([
      deps.loadVersion(d.versionId),
      deps.loadTarget(d.tenantId, d.orgId),
    ]);
    if (!version || version.approvedHash !== d.contentHash || version.contentHash !== d.contentHash) {
      throw new NotSendable('DEPLOYMENT_HASH_MISMATCH', 'The version is not the content that was approved');
    }
    if (!target) throw new NotSendable('COGNIGY_TARGET_MISSING', 'The org has no Cognigy target');
    return cognigyRequest(target, version.content, await version.openSecrets());
  }

  type Next =
    | { state: 'succeeded' | 'superseded'; reason?: string }
    | { state: 'failed'; error: Record<string, unknown> }
    | { state: 'pending'; notBefore: Date; error: Record<string, unknown> | null };
  interface Settlement {
    readonly d: DeploymentRow;
    readonly attempt: AttemptRecord;
    readonly next: Next;
    readonly done: (error?: unknown) => void;
  }

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
    deps.metrics?.attempt(attempt.outcome, attempt.httpStatus, attempt.durationMs);
    return new Promise<void>((resolve, reject) => {
      queue.push({ d, attempt, next, done: (error) => (error === undefined ? resolve() : reject(error)) });
      drain();
    });
  }

  async function runOne(d: ClaimedDeployment, releaseSlot: () => void): Promise<void> {
    const heartbeat = setInterval(
      () => {
        deployments.heartbeat(db, d.id, worker, deps.leaseMs).catch((err: unknown) => {
          logger.warn({ err, deploymentId: d.id }, 'forwarding: heartbeat failed');
        });
      },
      Math.max(50, Math.floor(deps.leaseMs / 3)),
    );
    const startedAt = new Date();
    const base = { worker, startedAt, httpStatus: null, traceId: null } as const;
    try {
      // A newer deployment of the org waits: this one is superseded, never sent.
      if (d.newerWaiting) {
        releaseSlot();
        await settle(
          d,
          {
            ...base,
            durationMs: 0,
            outcome: 'skipped',
            error: { detail: 'A newer approved version is waiting' },
          },
          { state: 'superseded' },
        );
        return;
      }
      let request: CognigyRequest;
      try {
        request = await prepare(d);
      } catch (error) {
        releaseSlot();
        const code = error instanceof NotSendable ? error.code : 'DEPLOYMENT_NOT_SENDABLE';
        const detail =
          error instanceof NotSendable
            ? error.message
            : 'The configuration could not be prepared (secrets unavailable?)';
        await settle(
          d,
          { ...base, durationMs: 0, outcome: 'refused', error: { code, detail } },
          { state: 'failed', error: { code, detail } },
        );
        return;
      }
      const origin = new URL(request.url).origin;
      const release = await limiter.acquire(origin);
      let result: Awaited<ReturnType<CognigyClient['send']>>;
      const signal = abort.signal;
      try {
        result = await client.send(request, signal);
      } finally {
        release();
        releaseSlot();
      }
      if (signal.aborted) {
        // Cut off by stop(): Cognigy may or may not have applied it. Recorded as interrupted and
        // due at once, so the next start (or another process) sends it without waiting for a lease.
        const error = { code: 'interrupted', detail: INTERRUPTED_DETAIL };
        await settle(
          d,
          { ...base, durationMs: result.durationMs, outcome: 'interrupted', error },
          { state: 'pending', notBefore: new Date(), error },
        );
        return;
      }
      const verdict = classify(result.outcome);
      const status = result.outcome.kind === 'response' ? result.outcome.status : null;
      const error = result.error
        ? {
            ...result.error,
            ...(result.traceId ? { traceId: result.traceId } : {}),
            ...(status ? { httpStatus: status } : {}),
          }
        : null;
      const attempt: AttemptRecord = {
        ...base,
        durationMs: result.durationMs,
        outcome:
          verdict === 'success'
            ? 'success'
            : result.outcome.kind === 'response'
              ? verdict === 'retry'
                ? 'retryable'
                : 'refused'
              : result.outcome.kind,
        httpStatus: status,
        traceId: result.traceId,
        error,
      };
      const decision = decide({
        outcome: result.outcome,
        attempt: d.attempts + 1,
        startedAt: (d.firstAttemptAt ?? startedAt).getTime(),
        now: Date.now(),
        policy,
        random,
      });
      if (decision.action === 'done') await settle(d, attempt, { state: 'succeeded' });
      else if (decision.action === 'retry') {
        await settle(d, attempt, {
          state: 'pending',
          notBefore: new Date(Date.now() + decision.delayMs),
          error,
        });
      } else {
        await settle(d, attempt, { state: 'failed', error: { ...(error ?? {}), reason: decision.reason } });
      }
      logger.debug(
        { deploymentId: d.id, orgId: d.orgId, version: d.versionNumber, outcome: attempt.outcome, status },
        'forwarding: attempt',
      );
    } catch (err) {
      // The database was unreachable, or similar: the lease runs out and the deployment is retried.
      logger.error({ err, deploymentId: d.id }, 'forwarding: attempt could not be recorded');
    } finally {
      clearInterval(heartbeat);
    }
  }

  // Expired leases are looked for once per poll interval, not on every claim.
  let lastReclaim = 0;
  async function reclaim(): Promise<void> {
    if (Date.now() - lastReclaim < deps.pollMs) return;
    lastReclaim = Date.now();
    // One change: the deployments whose worker died or hung mid-call get an attempt of unknown
    // outcome (the call may have reached Cognigy), go back to pending or, where a newer version
    // waits, are superseded with their audit event.
    const reclaimed = await change(systemContext('forwarding'), async (tx, trail) => {
      const rows = await deployments.reclaimExpired(tx, worker);
      const superseded = rows.filter((r) => r.state === 'superseded');
      if (superseded.length === 0)
        trail.unchanged(); // the attempts are the record of a retry
      else {
        await trail.recordAll(
          superseded.map((s) => ({
            ...audit(s),
            action: 'deployment.superseded' as const,
            diff: {
              before: { state: 'in_flight', version: s.versionNumber, leaseOwner: s.leaseOwner },
              after: {
                state: 'superseded',
                version: s.versionNumber,
                reason: 'lease expired during a call of unknown outcome; a newer version is waiting',
              },
            },
          })),
        );
      }
      return rows;
    });
    if (reclaimed.length > 0) {
      logger.warn(
        {
          worker,
          deployments: reclaimed.map((r) => ({ id: r.id, leaseOwner: r.leaseOwner, state: r.state })),
        },
        'forwarding: reclaimed deployments whose lease expired (outcome of their call unknown)',
      );
    }
  }

  async function tick(): Promise<number> {
    await reclaim();
    const room = free();
    if (room <= 0 || stopping) return 0;
    const claimed = await deployments.claim(db, worker, room, deps.leaseMs);
    for (const d of claimed) {
      calling += 1;
      let held = true;
      const releaseSlot = () => {
        if (!held) return;
        held = false;
        calling -= 1;
        if (free() >= claimBatch) wake?.();
      };
      const job = runOne(d, releaseSlot).finally(() => {
        releaseSlot();
        running.delete(d.id);
        if (free() >= claimBatch) wake?.();
      });
      running.set(d.id, job);
    }
    return claimed.length;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let claimed = 0;
      try {
        claimed = await tick();
      } catch (err) {
        logger.error({ err }, 'forwarding: claiming failed');
      }
      if (stopping) break;
      // Claim again at once when there was work and room; otherwise wait for the poll, or for enough
      // finished calls to be worth a claim (an eighth of the slots: claiming one slot per finished
      // call cost a statement per call; waiting for a quarter left slots idle for ~10 ms each).
      if (claimed === 0 || free() < claimBatch) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, deps.pollMs);
        });
        clearTimeout(timer);
        wake = undefined;
      }
    }
  }

  return {
    worker,
    /** Starts claiming and forwarding. */
    start() {
      if (loop) return;
      stopping = false;
      loop = run();
      logger.info(
        { worker, concurrency: deps.concurrency, perApiBase: deps.perApiBase },
        'forwarding: started',
      );
    },
    /** Wakes the loop now (e.g. right after an approval in this process). */
    poke() {
      wake?.();
    },
    /**
     * Stops claiming and lets the calls in flight finish (and their outcomes be written) for up to
     * `graceMs`; calls still running then are aborted, recorded as interrupted and put back to
     * pending, due at once (released, not lost, and not waiting for a lease to run out).
     */
    async stop(graceMs = 5_000): Promise<void> {
      stopping = true;
      wake?.();
      await loop;
      loop = undefined;
      const all = Promise.allSettled(running.values());
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        all.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!graceful) {
        logger.warn({ worker, inFlight: running.size }, 'forwarding: aborting calls still in flight');
        abort.abort();
        await all;
      }
      abort = newAbort();
      logger.info({ worker }, 'forwarding: stopped');
    },
    get inFlight() {
      return running.size;
    },
  };
}

export type Forwarder = ReturnType<typeof createForwarder>;
