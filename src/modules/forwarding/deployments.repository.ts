/**
 * The deployments outbox (§6). Enqueued in the approval's transaction; claimed by workers with one
 * `FOR UPDATE SKIP LOCKED` statement under a lease; a lease that runs out (a worker killed mid-call)
 * makes the deployment claimable again. At most one deployment per org is in flight (a partial
 * unique index), and an older pending one is superseded when a newer approval is enqueued.
 */
import { type Selectable, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db, Tx } from '../../db/client.js';
import { countOf } from '../../db/count.js';
import { timeIdPage } from '../../db/keyset.js';
import type { Deployment, DeploymentAttempt } from '../../generated/kysely/types.js';
import type { TimeIdPosition } from '../../lib/cursor.js';
import {
  CLAIM,
  HEARTBEAT,
  INSERT_ATTEMPTS,
  LOCKS_HELD,
  NEWER_WAITING,
  RECLAIM,
  REQUEUE_UNSENT,
  SETTLE,
} from './deployment-worker.statements.js';
import type { AttemptOutcomeName } from './deployments.schemas.js';

export interface DeploymentRow {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string;
  readonly versionId: string;
  readonly versionNumber: number;
  readonly contentHash: string;
  readonly state: string;
  readonly attempts: number;
  readonly notBefore: Date;
  readonly firstAttemptAt: Date | null;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly finishedAt: Date | null;
  readonly lastError: unknown;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface AttemptRow {
  readonly id: string;
  readonly deploymentId: string;
  readonly number: number;
  readonly worker: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly outcome: string;
  readonly httpStatus: number | null;
  readonly traceId: string | null;
  readonly error: unknown;
}

/** A row of `deployments` as the service sees it (the one mapping of this table). */
const deploymentOf = (r: Selectable<Deployment>): DeploymentRow => ({
  id: r.id,
  tenantId: r.tenant_id,
  orgId: r.org_id,
  versionId: r.version_id,
  versionNumber: r.version_number,
  contentHash: r.content_hash,
  state: r.state,
  attempts: r.attempts,
  notBefore: r.not_before,
  firstAttemptAt: r.first_attempt_at,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  finishedAt: r.finished_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A row of `deployment_attempts` as the service sees it (the one mapping of this table). */
const attemptOf = (r: Selectable<DeploymentAttempt>): AttemptRow => ({
  id: r.id,
  deploymentId: r.deployment_id,
  number: r.number,
  worker: r.worker,
  startedAt: r.started_at,
  durationMs: r.duration_ms,
  outcome: r.outcome,
  httpStatus: r.http_status,
  traceId: r.trace_id,
  error: r.error,
});

/** A claimed deployment, and whether a newer one of its org waited at the moment of the claim. */
export type ClaimedDeployment = DeploymentRow & { readonly newerWaiting: boolean };

/** A deployment whose lease ran out mid-call, as {@link deploymentsRepository.reclaimExpired} left it. */
export interface ReclaimedRow {
  readonly id: string;
  readonly tenantId: string;
  readonly orgId: string;
  readonly versionNumber: number;
  /** `pending` again, or `superseded` when a newer version of the org waits. */
  readonly state: 'pending' | 'superseded';
  /** The worker whose lease ran out. */
  readonly leaseOwner: string | null;
}

export interface NewDeployment {
  readonly tenantId: string;
  readonly orgId: string;
  readonly versionId: string;
  readonly versionNumber: number;
  readonly contentHash: string;
}

export interface AttemptRecord {
  readonly worker: string;
  readonly startedAt: Date;
  readonly durationMs: number;
  readonly outcome: AttemptOutcomeName;
  readonly httpStatus: number | null;
  readonly traceId: string | null;
  readonly error: object | null;
}

/** One call's outcome, for {@link deploymentsRepository.settleAll}. */
export interface Settled {
  readonly id: string;
  readonly attempt: AttemptRecord;
  /** The next state; `pending` is a retry at `notBefore`. */
  readonly state: 'pending' | 'succeeded' | 'failed' | 'superseded';
  /** Attempts made, this one included. */
  readonly attempts: number;
  readonly notBefore?: Date;
  readonly lastError: unknown;
}

export const deploymentsRepository = {
  /** Supersedes the org's pending deployments and enqueues the new one (in the approval's tx). */
  async enqueue(
    tx: Tx,
    data: NewDeployment,
  ): Promise<{ created: DeploymentRow; superseded: Array<{ id: string; versionNumber: number }> }> {
    const superseded = await tx
      .updateTable('deployments')
      .set({ state: 'superseded', finished_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
      .where('org_id', '=', data.orgId)
      .where('state', '=', 'pending')
      .returning(['id', 'version_number as versionNumber'])
      .execute();
    const created = await tx
      .insertInto('deployments')
      .values({
        id: uuidv7(),
        tenant_id: data.tenantId,
        org_id: data.orgId,
        version_id: data.versionId,
        version_number: data.versionNumber,
        content_hash: data.contentHash,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { created: deploymentOf(created), superseded };
  },

  /**
   * Deployments whose lease ran out (their worker died or hung mid-call), locked, each given an
   * attempt of unknown outcome by the worker that held it (claimed at `updated_at`: the claim is the
   * last write before the call), and moved back to pending, due now — or superseded where the org has
   * a newer pending deployment meanwhile. The attempt counts against the retry budget: a call may
   * have been made. One statement, in the caller's transaction (the change that also records the
   * supersessions' audit events); `worker` is the one reclaiming.
   */
  reclaimExpired: async (tx: Tx, worker: string): Promise<ReclaimedRow[]> =>
    (await RECLAIM.execute(tx, { worker })) as ReclaimedRow[],

  /**
   * Claims up to `limit` due deployments of orgs with nothing in flight, for `worker`, until the lease
   * runs out. One statement: rows another worker is claiming are skipped, not waited for.
   * (The claimed row carries what a worker needs; the other columns are not read from it.)
   */
  claim: async (db: Db, worker: string, limit: number, leaseMs: number) =>
    (await CLAIM.execute(db, {
      limit,
      worker,
      leaseSeconds: leaseMs / 1000,
    })) as unknown as ClaimedDeployment[],

  /** Extends the lease while the call is running; false when the lease was lost (reclaimed). */
  heartbeat: async (db: Db, id: string, worker: string, leaseMs: number): Promise<boolean> =>
    (await HEARTBEAT.affected(db, { leaseSeconds: leaseMs / 1000, id, worker })) === 1,

  /**
   * Puts a deployment this worker claimed back to pending, due now, without an attempt (its call was
   * never made); false when its lease was lost meanwhile.
   */
  requeueUnsent: async (db: Db, id: string, worker: string): Promise<boolean> =>
    (await REQUEUE_UNSENT.affected(db, { id, worker })) === 1,

  /**
   * Locks those of the deployments this worker still holds (a lost lease means another may send
   * it), in one statement; returns their ids.
   */
  locksHeld: async (tx: Tx, ids: readonly string[], worker: string): Promise<Set<string>> =>
    new Set((await LOCKS_HELD.execute(tx, { ids: [...ids], worker })).map((r) => r.id)),

  /** Those of `ids` whose org has a newer deployment waiting (approved while they were in flight). */
  newerWaiting: async (tx: Tx, ids: readonly string[]): Promise<Set<string>> => {
    if (ids.length === 0) return new Set();
    return new Set((await NEWER_WAITING.execute(tx, { ids: [...ids] })).map((r) => r.id));
  },

  /**
   * Settles a batch of calls in two statements (issue 7: it was three per call): appends each one's
   * attempt, numbered after the deployment's earlier ones, and moves each deployment to its next
   * state, releasing its lease — final (succeeded, failed, superseded; `finished_at` set) or back to
   * pending until `notBefore` (a retry). A null `lastError` keeps the one recorded before. The caller
   * holds the deployments' locks; each deployment appears once.
   */
  async settleAll(tx: Tx, items: readonly Settled[]): Promise<void> {
    if (items.length === 0) return;
    await INSERT_ATTEMPTS.execute(tx, {
      rows: JSON.stringify(
        items.map((s) => ({
          deployment_id: s.id,
          worker: s.attempt.worker,
          started_at: s.attempt.startedAt.toISOString(),
          duration_ms: s.attempt.durationMs,
          outcome: s.attempt.outcome,
          http_status: s.attempt.httpStatus,
          trace_id: s.attempt.traceId,
          error: s.attempt.error ?? null,
        })),
      ),
    });
    await SETTLE.execute(tx, {
      rows: JSON.stringify(
        items.map((s) => ({
          id: s.id,
          state: s.state,
          attempts: s.attempts,
          not_before: s.notBefore?.toISOString() ?? null,
          last_error: s.lastError ?? null,
        })),
      ),
    });
  },

  /** Counted on the partial indexes of the two states (their names are literals in the text). */
  async queueDepth(db: Db): Promise<{ pending: number; inFlight: number }> {
    const inState = (state: 'pending' | 'in_flight') =>
      db
        .selectFrom('deployments')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('state', '=', sql.lit(state));
    const row = await db
      .selectNoFrom([inState('pending').as('pending'), inState('in_flight').as('in_flight')])
      .executeTakeFirstOrThrow();
    return { pending: Number(row.pending ?? 0), inFlight: Number(row.in_flight ?? 0) };
  },

  /** A page of an org's deployments, newest first (keyset on created_at, id). */
  async list(
    db: Db,
    orgId: string,
    q: { state?: string; after?: TimeIdPosition; limit: number },
  ): Promise<DeploymentRow[]> {
    let query = db.selectFrom('deployments').selectAll().where('org_id', '=', orgId);
    if (q.state) query = query.where('state', '=', q.state);
    const rows = await timeIdPage(query, 'desc', q.after, q.limit).execute();
    return rows.map(deploymentOf);
  },

  /** One deployment of the org, or null. */
  async find(db: Db, orgId: string, id: string): Promise<DeploymentRow | null> {
    const row = await db
      .selectFrom('deployments')
      .selectAll()
      .where('id', '=', id)
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    return row ? deploymentOf(row) : null;
  },

  /** A deployment's attempts, in order. */
  attempts: async (db: Db, deploymentId: string): Promise<AttemptRow[]> =>
    (
      await db
        .selectFrom('deployment_attempts')
        .selectAll()
        .where('deployment_id', '=', deploymentId)
        .orderBy('number', 'asc')
        .execute()
    ).map(attemptOf),

  /** How many of the org's deployments of a newer version did not fail. */
  countNewerNotFailed: (db: Db, orgId: string, versionNumber: number) =>
    countOf(
      db
        .selectFrom('deployments')
        .where('org_id', '=', orgId)
        .where('version_number', '>', versionNumber)
        .where('state', '<>', 'failed'),
    ),

  /** Puts a deployment back to pending with a fresh attempt budget and deadline (its attempt log stays). */
  retry: async (tx: Tx, id: string): Promise<DeploymentRow> =>
    deploymentOf(
      await tx
        .updateTable('deployments')
        .set({
          state: 'pending',
          attempts: 0,
          not_before: new Date(),
          first_attempt_at: null,
          finished_at: null,
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow(),
    ),
};
