/**
 * The deployments outbox (§6). Enqueued in the approval's transaction; claimed by workers with one
 * `FOR UPDATE SKIP LOCKED` statement under a lease; a lease that runs out (a worker killed mid-call)
 * makes the deployment claimable again. At most one deployment per org is in flight (a partial
 * unique index), and an older pending one is superseded when a newer approval is enqueued.
 */
import type { DbOrTx, Tx } from '../../db/client.js';
import { type AnyTx, execute, type Queryable, queryRows } from '../../db/queryable.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { AttemptOutcomeName } from './deployments.schemas.js';

export type DeploymentRow = Prisma.DeploymentGetPayload<object>;

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
  readonly error: Prisma.InputJsonValue | null;
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

const jsonOrNull = (value: unknown) => (value === null || value === undefined ? null : JSON.stringify(value));

// The worker's statements: raw SQL, prepared once per connection (run for every call it makes).
/** Exported for bench:forwarding, which shows its plan. */
export const CLAIM = {
  name: 'deployments_claim',
  text: `
    WITH due AS (
      SELECT d.id FROM deployments d
       WHERE d.state = 'pending' AND d.not_before <= now()
         AND NOT EXISTS (SELECT 1 FROM deployments f WHERE f.org_id = d.org_id AND f.state = 'in_flight')
         -- one per org: two pending of one org claimed together broke the one-in-flight index, and the
         -- claim failed for every org until a person intervened. The older goes first (superseded
         -- unsent, see newerWaiting), then the newer.
         AND NOT EXISTS (SELECT 1 FROM deployments o WHERE o.org_id = d.org_id AND o.state = 'pending'
                          AND o.version_number < d.version_number)
       ORDER BY d.not_before, d.created_at
       LIMIT $1::int
       FOR UPDATE SKIP LOCKED
    )
    UPDATE deployments d
       SET state = 'in_flight', lease_owner = $2,
           lease_expires_at = now() + make_interval(secs => $3::double precision),
           first_attempt_at = COALESCE(d.first_attempt_at, now()), updated_at = now()
      FROM due WHERE d.id = due.id
    RETURNING d.id, d.tenant_id AS "tenantId", d.org_id AS "orgId", d.version_id AS "versionId",
              d.version_number AS "versionNumber", d.content_hash AS "contentHash", d.state,
              d.attempts, d.first_attempt_at AS "firstAttemptAt", d.lease_owner AS "leaseOwner",
              EXISTS (SELECT 1 FROM deployments n WHERE n.org_id = d.org_id AND n.state = 'pending'
                       AND n.version_number > d.version_number) AS "newerWaiting"`,
};

const HEARTBEAT = {
  name: 'deployments_heartbeat',
  text: `UPDATE deployments SET lease_expires_at = now() + make_interval(secs => $1::double precision)
          WHERE id = $2::uuid AND state = 'in_flight' AND lease_owner = $3`,
};

const LOCKS_HELD = {
  name: 'deployments_locks_held',
  text: `SELECT id FROM deployments WHERE id = ANY($1::uuid[]) AND state = 'in_flight'
            AND lease_owner = $2 ORDER BY id FOR UPDATE`,
};

const NEWER_WAITING = {
  name: 'deployments_newer_waiting',
  text: `SELECT d.id FROM deployments d WHERE d.id = ANY($1::uuid[])
            AND EXISTS (SELECT 1 FROM deployments n WHERE n.org_id = d.org_id AND n.state = 'pending'
                         AND n.version_number > d.version_number)`,
};

const INSERT_ATTEMPTS = {
  name: 'deployment_attempts_insert',
  text: `
    INSERT INTO deployment_attempts
           (id, deployment_id, number, worker, started_at, duration_ms, outcome, http_status, trace_id, error)
    SELECT gen_random_uuid(), a.deployment_id,
           coalesce((SELECT max(x.number) FROM deployment_attempts x WHERE x.deployment_id = a.deployment_id), 0) + 1,
           a.worker, a.started_at, a.duration_ms, a.outcome, a.http_status, a.trace_id, a.error
      FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::int[], $5::text[], $6::int[], $7::text[],
                  $8::jsonb[])
           AS a(deployment_id, worker, started_at, duration_ms, outcome, http_status, trace_id, error)`,
};

const SETTLE = {
  name: 'deployments_settle',
  text: `
    UPDATE deployments d
       SET state = u.state, attempts = u.attempts,
           not_before = coalesce(u.not_before, d.not_before),
           last_error = coalesce(u.last_error, d.last_error),
           lease_owner = NULL, lease_expires_at = NULL,
           finished_at = CASE WHEN u.state = 'pending' THEN d.finished_at ELSE now() END,
           updated_at = now()
      FROM unnest($1::uuid[], $2::text[], $3::int[], $4::timestamptz[], $5::jsonb[])
           AS u(id, state, attempts, not_before, last_error)
     WHERE d.id = u.id`,
};

/**
 * Deployments whose lease ran out (their worker died or hung mid-call), locked, each given an attempt
 * of unknown outcome by the worker that held it (claimed at `updated_at`: the claim is the last
 * write before the call), and moved back to pending, due now — or superseded where the org has a
 * newer pending deployment meanwhile. The attempt counts against the retry budget: a call may have
 * been made.
 */
const RECLAIM = {
  name: 'deployments_reclaim',
  text: `
    WITH expired AS (
      SELECT d.id, d.lease_owner, d.lease_expires_at, d.updated_at AS claimed_at,
             EXISTS (SELECT 1 FROM deployments n WHERE n.org_id = d.org_id AND n.state = 'pending'
                      AND n.version_number > d.version_number) AS newer_waiting
        FROM deployments d
       WHERE d.state = 'in_flight' AND d.lease_expires_at < now()
       ORDER BY d.id
       FOR UPDATE SKIP LOCKED
    ), attempts AS (
      INSERT INTO deployment_attempts (id, deployment_id, number, worker, started_at, duration_ms, outcome, error)
      SELECT gen_random_uuid(), e.id,
             coalesce((SELECT max(x.number) FROM deployment_attempts x WHERE x.deployment_id = e.id), 0) + 1,
             coalesce(e.lease_owner, 'unknown'), e.claimed_at, 0, 'unknown',
             jsonb_build_object(
               'code', 'outcome_unknown',
               'detail', 'The worker ' || coalesce(e.lease_owner, '?') || ' claimed it at ' ||
                         to_char(e.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
                         ' and its lease ran out at ' ||
                         to_char(e.lease_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
                         ' without a recorded answer (stopped or killed mid-call): Cognigy may have applied it.',
               'reclaimedBy', $1::text)
        FROM expired e
    )
    UPDATE deployments d
       SET state = CASE WHEN e.newer_waiting THEN 'superseded' ELSE 'pending' END,
           attempts = d.attempts + 1, not_before = now(), lease_owner = NULL, lease_expires_at = NULL,
           finished_at = CASE WHEN e.newer_waiting THEN now() ELSE d.finished_at END, updated_at = now()
      FROM expired e
     WHERE d.id = e.id
    RETURNING d.id, d.tenant_id AS "tenantId", d.org_id AS "orgId", d.version_number AS "versionNumber",
              d.state, e.lease_owner AS "leaseOwner"`,
};

export const deploymentsRepository = {
  /** Supersedes the org's pending deployments and enqueues the new one (in the approval's tx). */
  async enqueue(
    tx: Tx,
    data: NewDeployment,
  ): Promise<{ created: DeploymentRow; superseded: Array<{ id: string; versionNumber: number }> }> {
    const superseded = await tx.$queryRaw<Array<{ id: string; versionNumber: number }>>`
      UPDATE deployments SET state = 'superseded', finished_at = now(), updated_at = now()
       WHERE org_id = ${data.orgId}::uuid AND state = 'pending'
       RETURNING id, version_number AS "versionNumber"`;
    const created = await tx.deployment.create({ data });
    return { created, superseded };
  },

  /**
   * Reclaims the deployments whose lease ran out (see RECLAIM), in the caller's transaction (the
   * change that also records the supersessions' audit events). `worker` is the one reclaiming.
   */
  reclaimExpired: (tx: AnyTx, worker: string) => queryRows<ReclaimedRow>(tx, RECLAIM, [worker]),

  /**
   * Claims up to `limit` due deployments of orgs with nothing in flight, for `worker`, until the lease
   * runs out. One statement: rows another worker is claiming are skipped, not waited for.
   */
  claim: (db: Queryable, worker: string, limit: number, leaseMs: number) =>
    queryRows<ClaimedDeployment>(db, CLAIM, [limit, worker, leaseMs / 1000]),
  // (the claimed row carries what a worker needs; the other columns are not read from it)

  /** Extends the lease while the call is running; false when the lease was lost (reclaimed). */
  async heartbeat(db: Queryable, id: string, worker: string, leaseMs: number): Promise<boolean> {
    return (await execute(db, HEARTBEAT, [leaseMs / 1000, id, worker])) === 1;
  },

  /**
   * Locks those of the deployments this worker still holds (a lost lease means another may send
   * it), in one statement; returns their ids.
   */
  locksHeld: async (tx: AnyTx, ids: readonly string[], worker: string): Promise<Set<string>> => {
    const rows = await queryRows<{ id: string }>(tx, LOCKS_HELD, [[...ids], worker]);
    return new Set(rows.map((r) => r.id));
  },

  /** Those of `ids` whose org has a newer deployment waiting (approved while they were in flight). */
  newerWaiting: async (tx: AnyTx, ids: readonly string[]): Promise<Set<string>> => {
    if (ids.length === 0) return new Set();
    const rows = await queryRows<{ id: string }>(tx, NEWER_WAITING, [[...ids]]);
    return new Set(rows.map((r) => r.id));
  },

  /**
   * Settles a batch of calls in two statements (issue 7: it was three per call): appends each one's
   * attempt, numbered after the deployment's earlier ones, and moves each deployment to its next
   * state, releasing its lease — final (succeeded, failed, superseded; `finished_at` set) or back to
   * pending until `notBefore` (a retry). A null `lastError` keeps the one recorded before. The caller
   * holds the deployments' locks; each deployment appears once.
   */
  async settleAll(tx: AnyTx, items: readonly Settled[]): Promise<void> {
    if (items.length === 0) return;
    const column = <T>(pick: (item: Settled) => T) => items.map(pick);
    const ids = column((s) => s.id);
    await execute(tx, INSERT_ATTEMPTS, [
      ids,
      column((s) => s.attempt.worker),
      column((s) => s.attempt.startedAt.toISOString()),
      column((s) => s.attempt.durationMs),
      column((s) => s.attempt.outcome),
      column((s) => s.attempt.httpStatus),
      column((s) => s.attempt.traceId),
      column((s) => jsonOrNull(s.attempt.error)),
    ]);
    await execute(tx, SETTLE, [
      ids,
      column((s) => s.state),
      column((s) => s.attempts),
      column((s) => s.notBefore?.toISOString() ?? null),
      column((s) => jsonOrNull(s.lastError)),
    ]);
  },

  async queueDepth(db: DbOrTx): Promise<{ pending: number; inFlight: number }> {
    const rows = await db.deployment.groupBy({
      by: ['state'],
      where: { state: { in: ['pending', 'in_flight'] } },
      _count: { _all: true },
    });
    const count = (state: string) => rows.find((r) => r.state === state)?._count._all ?? 0;
    return { pending: count('pending'), inFlight: count('in_flight') };
  },
};
