/**
 * Signed checkpoints of the audit chains (issue 21): written on demand and, for the chains that
 * moved, once per AUDIT_CHECKPOINT_INTERVAL_SECONDS on the job queue; listed; and checked against
 * the chains by verify.
 *
 * Writing a checkpoint is a change like any other, so it records an event (`audit.checkpointed`) —
 * and then signs the chain's head *including that event*, in the same transaction, under the
 * chain's lock. So the checkpoint covers its own record, the chain's head equals the newest
 * checkpoint afterwards, and the next round sees nothing moved: no endless loop, and no checkpoint
 * that is stale the moment it is written. A checkpoint of a tenant's chain is also sent as the
 * webhook event `audit.checkpoint`, written in that transaction too (a copy outside the database).
 */
import type { Logger } from 'pino';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../db/client.js';
import { type ChangeContext, systemContext } from '../../lib/request-context.js';
import { PLATFORM_CHAIN } from '../audit/audit-event.js';
import type { ChangeRunner } from '../audit/audited-change.js';
import type { Ed25519PublicJwk, SigningKey } from '../crypto/signing-key.js';
import { publicJwkOf } from '../crypto/signing-key.js';
import type { JobContext, JobRunner } from '../jobs/job-runner.js';
import { periodicJob } from '../jobs/periodic-job.js';
import { outboxEventOf } from '../webhooks/webhook-outbox.js';
import { webhooksRepository } from '../webhooks/webhooks.repository.js';
import { type Checkpoint, type CheckpointReport, checkChain, signCheckpoint } from './checkpoint.js';
import { checkpointsRepository as repo } from './checkpoints.repository.js';
import './checkpoints.audit.js';

export const CHECKPOINT_QUEUE = 'audit.checkpoint';

export interface CheckpointsServiceDeps {
  readonly db: Db;
  readonly change: ChangeRunner;
  readonly signingKey: SigningKey;
  readonly jobs: Pick<JobRunner, 'handle' | 'enqueue'>;
  readonly intervalMs: number;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Wakes the webhook worker after a checkpoint's event was enqueued. */
  readonly onWebhookEnqueued?: () => void;
  readonly now?: () => Date;
}

const tenantOf = (chain: string) => (chain === PLATFORM_CHAIN ? null : chain);

export function createCheckpointsService(deps: CheckpointsServiceDeps) {
  const { db, change, signingKey, logger } = deps;
  const now = deps.now ?? (() => new Date());
  let keyRecorded: Promise<void> | undefined;

  /** Records the public key of this process's signing key, once (an event the first time any process uses it). */
  async function recordKey(
    reason: 'first_use' | 'rotation',
    key = signingKey,
    previousKeyId: string | null = null,
  ) {
    await change(systemContext('audit signing key'), async (tx, trail) => {
      const added = await repo.addKey(tx, { kid: key.kid, x: key.publicJwk.x });
      if (!added) return trail.unchanged();
      await trail.record({
        tenantId: null,
        action: 'audit.signing_key_added',
        target: { type: 'audit_signing_key', id: key.kid },
        diff: { after: { keyId: key.kid, publicKey: key.publicJwk.x, reason, previousKeyId } },
      });
    });
  }

  function ensureKey(): Promise<void> {
    keyRecorded ??= recordKey('first_use').catch((error: unknown) => {
      keyRecorded = undefined; // try again next time
      throw error;
    });
    return keyRecorded;
  }

  /** Records an event on `chain`, then signs the head (that event) and stores the checkpoint. */
  async function write(
    ctx: ChangeContext,
    chain: string,
    reason: 'interval' | 'request',
  ): Promise<Checkpoint> {
    await ensureKey();
    let webhook = 0;
    const checkpoint = await change(ctx, async (tx, trail) => {
      const record = await trail.record({
        tenantId: tenantOf(chain),
        action: 'audit.checkpointed',
        target: { type: 'audit_trail', id: chain },
        diff: { after: { keyId: signingKey.kid, reason } },
      });
      const signed = signCheckpoint(
        uuidv7(),
        { chain, seq: record.seq, hash: record.hash },
        now(),
        signingKey,
      );
      await repo.insert(tx, signed);
      const tenantId = tenantOf(chain);
      if (tenantId) {
        webhook = await webhooksRepository.enqueue(tx, [
          outboxEventOf({
            tenantId,
            orgId: null,
            type: 'audit.checkpoint',
            resource: { type: 'audit_checkpoint', id: signed.id, path: '/v1/audit-events/checkpoints' },
            summary: `The tenant's audit trail was signed at seq ${signed.seq}.`,
            details: { checkpoint: signed },
          }),
        ]);
      }
      return signed;
    });
    if (webhook > 0) deps.onWebhookEnqueued?.();
    return checkpoint;
  }

  /** The interval's job: a checkpoint of every chain that moved since its newest one. */
  async function runInterval(ctx: JobContext): Promise<void> {
    await ensureKey(); // first: recording the key moves the platform's chain, signed below
    const moved = await repo.moved(db);
    for (const { chain } of moved) {
      if (ctx.signal.aborted) throw new Error('stopping'); // released, due again at once
      await write(systemContext('audit checkpoints'), chain, 'interval');
    }
    if (moved.length > 0)
      logger.info({ period: ctx.job.key, chains: moved.length }, 'audit: checkpoints signed');
  }

  deps.jobs.handle(CHECKPOINT_QUEUE, runInterval);
  const interval = periodicJob({
    db,
    jobs: deps.jobs,
    queue: CHECKPOINT_QUEUE,
    intervalMs: deps.intervalMs,
    logger,
  });

  return {
    ensureKey,
    write,

    /** Enqueues the current period's job (one per period however many processes try). */
    schedule: interval.schedule,
    /** Schedules now and then every quarter interval (at most every minute), until stopped. */
    startSchedule: interval.start,
    stopSchedule: interval.stop,

    /** A page of the chain's checkpoints, newest first. */
    async page(chain: string, limit: number, beforeId?: string) {
      const rows = await repo.page(db, chain, limit + 1, beforeId);
      const items = rows.slice(0, limit);
      return { items, nextBeforeId: rows.length > limit ? (items.at(-1)?.id ?? null) : null };
    },

    /** Every checkpoint of the chain, oldest first (the NDJSON export). */
    all: (chain: string) => repo.ofChain(db, chain),

    /** The public keys of every signing key ever recorded (a JWKS document). */
    async jwks(): Promise<{ keys: Ed25519PublicJwk[] }> {
      // read only: the server records its key at start (ensureKey), every writer before it first signs
      return { keys: (await repo.keys(db)).map((k) => ({ ...publicJwkOf(k.public_key), kid: k.kid })) };
    },

    /** The chain checked against its stored checkpoints, with the stored public keys. */
    async check(chain: string): Promise<CheckpointReport> {
      const checkpoints = await repo.ofChain(db, chain);
      const keys = new Map((await repo.keys(db)).map((k) => [k.kid, k.public_key]));
      const view = await repo.chainView(
        db,
        chain,
        checkpoints.map((c) => c.seq),
      );
      return checkChain(view, checkpoints, keys);
    },

    /** For the rotation command: records a new key's public half (with its audit event). */
    recordRotatedKey: (key: SigningKey, previousKeyId: string) => recordKey('rotation', key, previousKeyId),
  };
}

export type CheckpointsService = ReturnType<typeof createCheckpointsService>;
