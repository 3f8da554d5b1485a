/**
 * One claimed deployment, one call to Cognigy: skipped when a newer version waits, refused when the
 * content is not what was approved or the org has no target, otherwise sent once a slot of its
 * installation is free (the secrets decrypted only then, in memory only) and its outcome handed to
 * the settlement writer — retried with backoff, succeeded, failed, or interrupted by a stop. A stop
 * while it waits for the slot puts it back unsent, without an attempt. The lease is renewed while it
 * runs, the wait included.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { installationOf } from '../cognigy/cognigy-api-base.js';
import type { CognigyClient } from '../cognigy/cognigy-client.js';
import {
  type CognigyRequest,
  cognigyRequest,
  type SsoContent,
  type SsoSecrets,
} from '../cognigy/cognigy-request.js';
import type { SealedCognigyTarget } from '../orgs/cognigy-target.js';
import {
  type AttemptRecord,
  type ClaimedDeployment,
  type DeploymentRow,
  deploymentsRepository as deployments,
} from './deployments.repository.js';
import { type InstallationBound, SlotWaitStopped } from './installation-bound.js';
import { classify, decide, type RetryPolicy } from './retry-policy.js';
import type { SettlementWriter } from './settlement-writer.js';

/** What the forwarder needs of a version: its content, approved hash and plain secrets (for one call). */
export interface ForwardableVersion {
  readonly content: SsoContent;
  readonly contentHash: string;
  readonly approvedHash: string | null;
  readonly openSecrets: () => Promise<SsoSecrets>;
}

export interface ForwardCallDeps {
  readonly db: Db;
  readonly client: CognigyClient;
  readonly logger: Pick<Logger, 'warn' | 'error' | 'debug'>;
  readonly loadTarget: (tenantId: string, orgId: string) => Promise<SealedCognigyTarget | null>;
  readonly loadVersion: (versionId: string) => Promise<ForwardableVersion | null>;
  readonly policy: RetryPolicy;
  readonly leaseMs: number;
  readonly worker: string;
  /** Calls in flight at once per installation (across processes, or in this one). */
  readonly bound: InstallationBound;
  readonly settle: SettlementWriter['settle'];
  /** The signal of the calls now starting: aborted by the forwarder's stop after its grace period. */
  readonly abortSignal: () => AbortSignal;
  /** Aborted as soon as the forwarder stops: a call still waiting for a slot is not made. */
  readonly waitSignal: () => AbortSignal;
  readonly random: () => number;
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

/** What every attempt record of a call starts with. */
interface AttemptBase {
  readonly worker: string;
  readonly startedAt: Date;
  readonly httpStatus: null;
  readonly traceId: null;
}

/** Makes the call of one claimed deployment; `releaseSlot` frees its slot once Cognigy has answered. */
export function createForwardCall(deps: ForwardCallDeps) {
  const { db, client, logger, policy, worker, bound, settle, random } = deps;

  /** What the call needs, its secrets still sealed: they are opened once a slot is held (request()). */
  async function prepare(d: DeploymentRow) {
    const [version, target] = await Promise.all([
      deps.loadVersion(d.versionId),
      deps.loadTarget(d.tenantId, d.orgId),
    ]);
    if (!version || version.approvedHash !== d.contentHash || version.contentHash !== d.contentHash) {
      throw new NotSendable('DEPLOYMENT_HASH_MISMATCH', 'The version is not the content that was approved');
    }
    if (!target) throw new NotSendable('COGNIGY_TARGET_MISSING', 'The org has no Cognigy target');
    return {
      installation: installationOf(target.apiBase),
      // A wait for a slot may be long (a rollout of many orgs at one installation): no secret is
      // decrypted before it ends, so none sits in memory for the wait.
      request: async (): Promise<CognigyRequest> =>
        cognigyRequest(await target.open(), version.content, await version.openSecrets()),
    };
  }

  /** Settles a deployment that cannot be sent (a refusal: no call is made). */
  async function refuse(d: ClaimedDeployment, base: AttemptBase, error: unknown) {
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
  }

  async function runOne(d: ClaimedDeployment, releaseSlot: () => void): Promise<void> {
    // Set when a renewal finds the lease gone (another worker reclaimed the deployment after a
    // stall): a call not yet made is then not made, as the other worker sends it.
    let leaseLost = false;
    const heartbeat = setInterval(
      () => {
        deployments
          .heartbeat(db, d.id, worker, deps.leaseMs)
          .then((held) => {
            if (!held) leaseLost = true;
          })
          .catch((err: unknown) => {
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
      let prepared: Awaited<ReturnType<typeof prepare>>;
      try {
        prepared = await prepare(d);
      } catch (error) {
        releaseSlot();
        await refuse(d, base, error);
        return;
      }
      let release: () => void;
      try {
        release = await bound.acquire(prepared.installation, deps.waitSignal());
      } catch (error) {
        if (!(error instanceof SlotWaitStopped)) throw error;
        // Stopped before its turn: no call was made, so no attempt is counted; due again at once.
        releaseSlot();
        if (!(await deployments.requeueUnsent(db, d.id, worker)))
          logger.warn(
            { deploymentId: d.id, worker },
            'forwarding: lease lost before an unsent call was put back',
          );
        return;
      }
      if (leaseLost) {
        release();
        releaseSlot();
        logger.warn(
          { deploymentId: d.id, worker },
          'forwarding: lease lost while waiting for a slot; not sent',
        );
        return;
      }
      let request: CognigyRequest;
      try {
        request = await prepared.request();
      } catch (error) {
        release();
        releaseSlot();
        await refuse(d, base, error);
        return;
      }
      let result: Awaited<ReturnType<CognigyClient['send']>>;
      const signal = deps.abortSignal();
      // The attempt starts with its call, not with the wait for a slot.
      const callBase = { ...base, startedAt: new Date() };
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
          { ...callBase, durationMs: result.durationMs, outcome: 'interrupted', error },
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
        ...callBase,
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

  return runOne;
}
