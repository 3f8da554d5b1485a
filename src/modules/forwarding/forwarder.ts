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
import type { ChangeRunner } from '../audit/audited-change.js';
import type { CognigyClient } from '../cognigy/cognigy-client.js';
import { createJobLoop } from '../jobs/job-loop.js';
import type { SealedCognigyTarget } from '../orgs/cognigy-target.js';
import { type ClaimedDeployment, deploymentsRepository as deployments } from './deployments.repository.js';
import { createForwardCall, type ForwardableVersion } from './forward-call.js';
import type { ForwardingMetrics } from './forwarding-metrics.js';
import type { InstallationBound } from './installation-bound.js';
import { sharedInstallationBound } from './installation-slots.js';
import { keyedLimiter } from './keyed-limiter.js';
import { reclaimExpiredDeployments } from './reclaim.js';
import type { RetryPolicy } from './retry-policy.js';
import { createSettlementWriter } from './settlement-writer.js';

export type { ForwardableVersion } from './forward-call.js';

export interface ForwarderDeps {
  /** The worker's own statements (claim, heartbeat) run on it, prepared. */
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly client: CognigyClient;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  readonly loadTarget: (tenantId: string, orgId: string) => Promise<SealedCognigyTarget | null>;
  readonly loadVersion: (versionId: string) => Promise<ForwardableVersion | null>;
  readonly policy: RetryPolicy;
  /** Calls in flight at once, in this process. */
  readonly concurrency: number;
  /** Calls in flight at once to one Cognigy installation (its normalised API base). */
  readonly perApiBase: number;
  /**
   * Whether `perApiBase` holds across every process on the database (the slot table, default) or in
   * this process only.
   */
  readonly sharedBound?: boolean;
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
  const bound: InstallationBound =
    deps.sharedBound === false
      ? keyedLimiter(deps.perApiBase)
      : sharedInstallationBound({ db, worker, bound: deps.perApiBase, leaseMs: deps.leaseMs, logger });
  // Aborted when stop() begins: calls still waiting for a slot are put back unsent.
  // One signal shared by every call waiting for a slot (each adds a listener): no listener limit.
  const newWaiting = () => {
    const controller = new AbortController();
    setMaxListeners(0, controller.signal);
    return controller;
  };
  let waiting = newWaiting();
  let started = false;

  const { settle } = createSettlementWriter({ change, logger, worker, metrics: deps.metrics });
  const runOne = createForwardCall({
    ...deps,
    worker,
    random,
    bound,
    settle,
    abortSignal: () => loop.signal,
    waitSignal: () => waiting.signal,
  });

  const reclaim = () => reclaimExpiredDeployments({ change, logger, worker });

  // A slot is held from the claim until the call has its answer; the outcome is then written (in a
  // batch, see settle) after the slot is free, so the next call does not wait for that write
  // (issue 7: 695 → 739 forwards/s in bench:forwarding). Calls still being written count against a
  // second bound, so a slow database cannot pile up claimed deployments. Claims are made once an
  // eighth of the slots is free: claiming one slot per finished call cost a statement per call;
  // waiting for a quarter left slots idle for ~10 ms each.
  const loop = createJobLoop<ClaimedDeployment>({
    name: 'forwarding',
    concurrency: deps.concurrency,
    pollMs: deps.pollMs,
    logger,
    describe: { worker, perApiBase: deps.perApiBase, sharedBound: deps.sharedBound !== false },
    room: ({ busy, running }) => Math.min(deps.concurrency - busy, 2 * deps.concurrency - running),
    claimBatch: Math.max(1, Math.floor(deps.concurrency / 8)),
    claim: (limit) => deployments.claim(db, worker, limit, deps.leaseMs),
    reclaim,
    run: (d, _signal, releaseSlot) => runOne(d, releaseSlot),
  });

  return {
    worker,
    /** Starts claiming and forwarding. */
    start: () => {
      if (waiting.signal.aborted) waiting = newWaiting();
      started = true;
      loop.start();
    },
    /** Wakes the loop now (e.g. right after an approval in this process). */
    poke: () => loop.poke(),
    /**
     * Stops claiming and lets the calls in flight finish (and their outcomes be written) for up to
     * `graceMs`; calls still running then are aborted, recorded as interrupted and put back to
     * pending, due at once (released, not lost, and not waiting for a lease to run out). Calls still
     * waiting for a slot at their installation are put back at once, unsent and without an attempt;
     * last, any installation slot this process still holds is freed.
     */
    stop: async (graceMs = 5_000) => {
      waiting.abort();
      await loop.stop(graceMs);
      if (started) await bound.close();
      started = false;
    },
    get inFlight() {
      return loop.inFlight;
    },
  };
}

export type Forwarder = ReturnType<typeof createForwarder>;
