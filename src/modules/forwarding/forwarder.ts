/**
 * The worker that forwards approved versions to Cognigy (§6): the claim loop. It claims due
 * deployments from the outbox under a lease, makes one call each (forward-call.ts) and has the
 * outcomes recorded in batches (settlement-writer.ts): succeeded, failed (not retryable, or out of
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
import type { ChangeRunner } from '../audit/audited-change.js';
import type { CognigyClient } from '../cognigy/cognigy-client.js';
import type { CognigyTargetCredentials } from '../cognigy/cognigy-request.js';
import { deploymentEvent } from './deployment-audit.js';
import { deploymentsRepository as deployments } from './deployments.repository.js';
import { createForwardCall, type ForwardableVersion } from './forward-call.js';
import type { ForwardingMetrics } from './forwarding-metrics.js';
import { keyedLimiter } from './keyed-limiter.js';
import type { RetryPolicy } from './retry-policy.js';
import { createSettlementWriter } from './settlement-writer.js';

export type { ForwardableVersion } from './forward-call.js';

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

export function createForwarder(deps: ForwarderDeps) {
  const { db, change, logger } = deps;
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

  const { settle } = createSettlementWriter({ change, logger, worker, metrics: deps.metrics });
  const runOne = createForwardCall({
    ...deps,
    worker,
    random,
    limiter,
    settle,
    abortSignal: () => abort.signal,
  });

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
            ...deploymentEvent(s),
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
