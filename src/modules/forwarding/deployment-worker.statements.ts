/**
 * The forwarding worker's statements on the deployments outbox, part of deployments.repository.ts
 * (which alone runs them): built once with Kysely and run as named prepared statements, since the
 * worker runs them for every call it makes (issue 7).
 */
import { type Selectable, sql } from 'kysely';
import { prepared } from '../../db/prepared.js';
import type { Deployment, DeploymentAttempt } from '../../generated/kysely/types.js';

// The worker's statements: prepared (run for every call it makes). States are written into the
// text, not passed as parameters, so that a plan of the statement can use the partial indexes
// (deployments_due_idx: pending only; one in flight per org).
const pending = sql.lit('pending');
const inFlight = sql.lit('in_flight');
/** A newer deployment of the org of deployment `d` is waiting (the claim, the reclaim and a retry ask). */
const newerPendingOfOrg = sql<boolean>`EXISTS (SELECT 1 FROM deployments n WHERE n.org_id = d.org_id
  AND n.state = ${pending} AND n.version_number > d.version_number)`;

/** Exported for bench:forwarding, which shows its plan. */
export const CLAIM = prepared(
  'deployments_claim',
  (db, p: { limit: number; worker: string; leaseSeconds: number }) =>
    db
      .with('due', (db) =>
        db
          .selectFrom('deployments as d')
          .select('d.id')
          .where('d.state', '=', pending)
          .where('d.not_before', '<=', sql<Date>`now()`)
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('deployments as f')
                  .select(sql`1`.as('one'))
                  .whereRef('f.org_id', '=', 'd.org_id')
                  .where('f.state', '=', inFlight),
              ),
            ),
          )
          // One per org: two pending of one org claimed together broke the one-in-flight index, and
          // the claim failed for every org until a person intervened. The older goes first
          // (superseded unsent, see newerWaiting), then the newer.
          .where(({ not, exists, selectFrom }) =>
            not(
              exists(
                selectFrom('deployments as o')
                  .select(sql`1`.as('one'))
                  .whereRef('o.org_id', '=', 'd.org_id')
                  .where('o.state', '=', pending)
                  .whereRef('o.version_number', '<', 'd.version_number'),
              ),
            ),
          )
          .orderBy('d.not_before')
          .orderBy('d.created_at')
          .limit(p.limit)
          .forUpdate()
          .skipLocked(),
      )
      .updateTable('deployments as d')
      .from('due')
      .set({
        state: 'in_flight',
        lease_owner: p.worker,
        lease_expires_at: sql<Date>`now() + make_interval(secs => ${p.leaseSeconds}::double precision)`,
        first_attempt_at: sql<Date>`COALESCE(d.first_attempt_at, now())`,
        updated_at: sql<Date>`now()`,
      })
      .whereRef('d.id', '=', 'due.id')
      .returning([
        'd.id',
        'd.tenant_id as tenantId',
        'd.org_id as orgId',
        'd.version_id as versionId',
        'd.version_number as versionNumber',
        'd.content_hash as contentHash',
        'd.state',
        'd.attempts',
        'd.first_attempt_at as firstAttemptAt',
        'd.lease_owner as leaseOwner',
        newerPendingOfOrg.as('newerWaiting'),
      ]),
);

export const HEARTBEAT = prepared(
  'deployments_heartbeat',
  (db, p: { leaseSeconds: number; id: string; worker: string }) =>
    db
      .updateTable('deployments')
      .set({
        lease_expires_at: sql<Date>`now() + make_interval(secs => ${p.leaseSeconds}::double precision)`,
      })
      .where('id', '=', p.id)
      .where('state', '=', inFlight)
      .where('lease_owner', '=', p.worker),
);

/**
 * A claimed deployment put back unsent (its call never started: the worker stopped while it waited
 * for a slot at its installation): pending and due at once, its lease released, no attempt counted,
 * and its first attempt forgotten if it had none.
 */
export const REQUEUE_UNSENT = prepared(
  'deployments_requeue_unsent',
  (db, p: { id: string; worker: string }) =>
    db
      .updateTable('deployments')
      .set({
        state: pending,
        lease_owner: null,
        lease_expires_at: null,
        not_before: sql<Date>`now()`,
        first_attempt_at: sql<Date | null>`CASE WHEN attempts = 0 THEN NULL ELSE first_attempt_at END`,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', p.id)
      .where('state', '=', inFlight)
      .where('lease_owner', '=', p.worker),
);

export const LOCKS_HELD = prepared('deployments_locks_held', (db, p: { ids: string[]; worker: string }) =>
  db
    .selectFrom('deployments')
    .select('id')
    .where('id', '=', sql<string>`any(${p.ids}::uuid[])`)
    .where('state', '=', inFlight)
    .where('lease_owner', '=', p.worker)
    .orderBy('id')
    .forUpdate(),
);

export const NEWER_WAITING = prepared('deployments_newer_waiting', (db, p: { ids: string[] }) =>
  db
    .selectFrom('deployments as d')
    .select('d.id')
    .where('d.id', '=', sql<string>`any(${p.ids}::uuid[])`)
    .where(newerPendingOfOrg),
);

/**
 * A batch of attempts in one statement: one JSON array of rows of the table, each numbered after its
 * deployment's earlier attempts.
 */
export const INSERT_ATTEMPTS = prepared('deployment_attempts_insert', (db, p: { rows: string }) =>
  db
    .insertInto('deployment_attempts')
    .columns([
      'id',
      'deployment_id',
      'number',
      'worker',
      'started_at',
      'duration_ms',
      'outcome',
      'http_status',
      'trace_id',
      'error',
    ])
    .expression((eb) =>
      eb
        .selectFrom(
          sql<
            Selectable<DeploymentAttempt>
          >`jsonb_populate_recordset(NULL::deployment_attempts, ${p.rows}::jsonb)`.as('a'),
        )
        .select((a) => [
          sql<string>`gen_random_uuid()`.as('id'),
          'a.deployment_id',
          sql<number>`coalesce(${a
            .selectFrom('deployment_attempts as x')
            .select((x) => x.fn.max('x.number').as('n'))
            .whereRef('x.deployment_id', '=', 'a.deployment_id')}, 0) + 1`.as('number'),
          'a.worker',
          'a.started_at',
          'a.duration_ms',
          'a.outcome',
          'a.http_status',
          'a.trace_id',
          'a.error',
        ]),
    ),
);

/**
 * A batch of deployments moved to their next state in one statement (one JSON array of the columns
 * that change), each lease released. A null `not_before` or `last_error` keeps the one recorded before.
 */
export const SETTLE = prepared('deployments_settle', (db, p: { rows: string }) =>
  db
    .updateTable('deployments as d')
    .from(sql<Selectable<Deployment>>`jsonb_populate_recordset(NULL::deployments, ${p.rows}::jsonb)`.as('u'))
    .set((eb) => ({
      state: eb.ref('u.state'),
      attempts: eb.ref('u.attempts'),
      not_before: eb.fn.coalesce('u.not_before', 'd.not_before'),
      last_error: eb.fn.coalesce('u.last_error', 'd.last_error'),
      lease_owner: null,
      lease_expires_at: null,
      finished_at: sql<Date | null>`CASE WHEN u.state = 'pending' THEN d.finished_at ELSE now() END`,
      updated_at: sql<Date>`now()`,
    }))
    .whereRef('d.id', '=', 'u.id'),
);

export const RECLAIM = prepared('deployments_reclaim', (db, p: { worker: string }) =>
  db
    .with('expired', (db) =>
      db
        .selectFrom('deployments as d')
        .select([
          'd.id',
          'd.lease_owner',
          'd.lease_expires_at',
          'd.updated_at as claimed_at',
          newerPendingOfOrg.as('newer_waiting'),
        ])
        .where('d.state', '=', inFlight)
        .where('d.lease_expires_at', '<', sql<Date>`now()`)
        .orderBy('d.id')
        .forUpdate()
        .skipLocked(),
    )
    .with('attempts', (db) =>
      db
        .insertInto('deployment_attempts')
        .columns(['id', 'deployment_id', 'number', 'worker', 'started_at', 'duration_ms', 'outcome', 'error'])
        .expression((eb) =>
          eb.selectFrom('expired as e').select((e) => [
            sql<string>`gen_random_uuid()`.as('id'),
            'e.id',
            sql<number>`coalesce(${e
              .selectFrom('deployment_attempts as x')
              .select((x) => x.fn.max('x.number').as('n'))
              .whereRef('x.deployment_id', '=', 'e.id')}, 0) + 1`.as('number'),
            sql<string>`coalesce(e.lease_owner, 'unknown')`.as('worker'),
            'e.claimed_at',
            sql<number>`0`.as('duration_ms'),
            sql<string>`'unknown'`.as('outcome'),
            sql<unknown>`jsonb_build_object(
                'code', 'outcome_unknown',
                'detail', 'The worker ' || coalesce(e.lease_owner, '?') || ' claimed it at ' ||
                          to_char(e.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
                          ' and its lease ran out at ' ||
                          to_char(e.lease_expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') ||
                          ' without a recorded answer (stopped or killed mid-call): Cognigy may have applied it.',
                'reclaimedBy', ${p.worker}::text)`.as('error'),
          ]),
        ),
    )
    .updateTable('deployments as d')
    .from('expired as e')
    .set((eb) => ({
      state: sql<string>`CASE WHEN e.newer_waiting THEN 'superseded' ELSE 'pending' END`,
      attempts: eb('d.attempts', '+', 1),
      not_before: sql<Date>`now()`,
      lease_owner: null,
      lease_expires_at: null,
      finished_at: sql<Date | null>`CASE WHEN e.newer_waiting THEN now() ELSE d.finished_at END`,
      updated_at: sql<Date>`now()`,
    }))
    .whereRef('d.id', '=', 'e.id')
    .returning([
      'd.id',
      'd.tenant_id as tenantId',
      'd.org_id as orgId',
      'd.version_number as versionNumber',
      'd.state',
      'e.lease_owner as leaseOwner',
    ]),
);
