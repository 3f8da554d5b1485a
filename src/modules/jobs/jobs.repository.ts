/**
 * The `jobs` table: a durable queue for background work (issue 17). A job is named by its queue and
 * key, so enqueueing is idempotent (several replicas scheduling the same round make one job). Claims
 * take due jobs with `FOR UPDATE SKIP LOCKED` and a lease, counting the attempt at the claim (a
 * worker killed mid-job has used it). Every later write is made only by the lease's owner.
 */
import { type RawBuilder, type Selectable, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../db/client.js';
import type { Job } from '../../generated/kysely/types.js';

export interface JobRow {
  readonly id: string;
  readonly queue: string;
  readonly key: string;
  readonly payload: unknown;
  readonly state: string;
  readonly attempts: number;
  readonly maxAttempts: number;
  readonly runAt: Date;
  readonly leaseOwner: string | null;
  readonly leaseExpiresAt: Date | null;
  readonly lastError: unknown;
  readonly createdAt: Date;
  readonly finishedAt: Date | null;
}

/** A row of `jobs` as the service sees it (the one mapping of this table). */
const jobOf = (r: Selectable<Job>): JobRow => ({
  id: r.id,
  queue: r.queue,
  key: r.key,
  payload: r.payload,
  state: r.state,
  attempts: r.attempts,
  maxAttempts: r.max_attempts,
  runAt: r.run_at,
  leaseOwner: r.lease_owner,
  leaseExpiresAt: r.lease_expires_at,
  lastError: r.last_error,
  createdAt: r.created_at,
  finishedAt: r.finished_at,
});

export interface NewJob {
  readonly queue: string;
  readonly key: string;
  readonly payload?: unknown;
  readonly runAt?: Date;
  readonly maxAttempts?: number;
}

/** A job finished: no lease, no error. */
const DONE = {
  state: 'done',
  lease_owner: null,
  lease_expires_at: null,
  last_error: null,
  finished_at: sql<Date>`now()`,
  updated_at: sql<Date>`now()`,
} as const;

const leaseUntil = (seconds: number) =>
  sql<Date>`now() + make_interval(secs => ${seconds}::double precision)`;

export const jobsRepository = {
  /**
   * Marking jobs of a worker done, as a statement for another repository's CTE: a handler that
   * records its results and completes its job in one statement (the webhook worker). Returns `id`.
   * `ids` and `worker` are values (parameters), e.g. a uuid[] and a text.
   */
  completeSql: (ids: unknown, worker: unknown) =>
    sql`UPDATE jobs SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, last_error = NULL,
               finished_at = now(), updated_at = now()
         WHERE id = ANY (${ids}::uuid[]) AND state = 'running' AND lease_owner = ${worker}
        RETURNING id`,

  /**
   * Enqueueing, as a statement for another repository's CTE: one job of `queue` per key that `keys`
   * (a query of one text column) yields, so that a change writes its rows and their jobs in one
   * statement (the webhooks' outbox). Returns `id`.
   */
  enqueueSql: (queue: unknown, keys: RawBuilder<unknown>, maxAttempts: unknown) =>
    sql`INSERT INTO jobs (id, queue, key, max_attempts)
        SELECT gen_random_uuid(), ${queue}, k.key, ${maxAttempts} FROM (${keys}) AS k(key)
        ON CONFLICT (queue, key) DO NOTHING
        RETURNING id`,

  /**
   * Enqueues jobs whose (queue, key) is not there yet; returns those it created (a key already
   * there, in any state, is left alone).
   */
  async enqueue(db: Db, jobs: readonly NewJob[]): Promise<{ id: string; queue: string; key: string }[]> {
    if (jobs.length === 0) return [];
    return db
      .insertInto('jobs')
      .values(
        jobs.map((j) => ({
          id: uuidv7(),
          queue: j.queue,
          key: j.key,
          payload: JSON.stringify(j.payload ?? {}),
          run_at: j.runAt ?? sql<Date>`now()`,
          max_attempts: j.maxAttempts ?? 5,
        })),
      )
      .onConflict((oc) => oc.columns(['queue', 'key']).doNothing())
      .returning(['id', 'queue', 'key'])
      .execute();
  },

  /** Claims up to `limit` due jobs of `queues` for `worker`, oldest due first. */
  async claim(
    db: Db,
    p: { queues: readonly string[]; worker: string; limit: number; leaseSeconds: number },
  ): Promise<JobRow[]> {
    if (p.queues.length === 0 || p.limit <= 0) return [];
    const rows = await db
      .updateTable('jobs')
      .set({
        state: 'running',
        attempts: sql<number>`attempts + 1`,
        lease_owner: p.worker,
        lease_expires_at: leaseUntil(p.leaseSeconds),
        updated_at: sql<Date>`now()`,
      })
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('state', '=', sql.lit('pending'))
          .where('run_at', '<=', sql<Date>`now()`)
          .where('queue', '=', sql<string>`any(${[...p.queues]}::text[])`)
          .orderBy('run_at')
          .limit(p.limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
    return rows.map(jobOf);
  },

  /** Renews the lease; false when the worker no longer owns the job. */
  async heartbeat(db: Db, p: { id: string; worker: string; leaseSeconds: number }): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set({ lease_expires_at: leaseUntil(p.leaseSeconds), updated_at: sql<Date>`now()` })
      .where('id', '=', p.id)
      .where('state', '=', sql.lit('running'))
      .where('lease_owner', '=', p.worker)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /** Marks the job done; false when the worker no longer owns it (the caller rolls back). */
  async complete(db: Db, p: { id: string; worker: string }): Promise<boolean> {
    const r = await db
      .updateTable('jobs')
      .set(DONE)
      .where('id', '=', p.id)
      .where('state', '=', sql.lit('running'))
      .where('lease_owner', '=', p.worker)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  },

  /**
   * Marks several jobs of one worker done in one statement (the runner gathers the jobs that finish
   * together); returns the ids it marked — a job missing from them is no longer this worker's.
   */
  async completeMany(db: Db, p: { ids: readonly string[]; worker: string }): Promise<Set<string>> {
    if (p.ids.length === 0) return new Set();
    const rows = await db
      .updateTable('jobs')
      .set(DONE)
      .where('id', '=', sql<string>`any(${[...p.ids]}::uuid[])`)
      .where('state', '=', sql.lit('running'))
      .where('lease_owner', '=', p.worker)
      .returning('id')
      .execute();
    return new Set(rows.map((r) => r.id));
  },

  /** Back to pending after `delayMs` (a retry), or failed for good. */
  async settleFailure(
    db: Db,
    p: { id: string; worker: string; error: unknown; retryInMs: number | null },
  ): Promise<void> {
    await db
      .updateTable('jobs')
      .set(
        p.retryInMs === null
          ? {
              state: 'failed',
              finished_at: sql<Date>`now()`,
            }
          : {
              state: 'pending',
              run_at: sql<Date>`now() + make_interval(secs => ${p.retryInMs / 1000}::double precision)`,
            },
      )
      .set({
        lease_owner: null,
        lease_expires_at: null,
        last_error: JSON.stringify(p.error),
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', p.id)
      .where('state', '=', sql.lit('running'))
      .where('lease_owner', '=', p.worker)
      .execute();
  },

  /** Gives a job back at once without using an attempt (a stop released it unfinished). */
  async release(db: Db, p: { id: string; worker: string }): Promise<void> {
    await db
      .updateTable('jobs')
      .set({
        state: 'pending',
        attempts: sql<number>`greatest(attempts - 1, 0)`,
        lease_owner: null,
        lease_expires_at: null,
        run_at: sql<Date>`now()`,
        updated_at: sql<Date>`now()`,
      })
      .where('id', '=', p.id)
      .where('state', '=', sql.lit('running'))
      .where('lease_owner', '=', p.worker)
      .execute();
  },

  /**
   * Jobs whose lease ran out (their worker died or hung): pending again, due at once, or failed when
   * their attempts are used up. Returns what it changed.
   */
  async reclaimExpired(db: Db): Promise<Pick<JobRow, 'id' | 'queue' | 'key' | 'state' | 'leaseOwner'>[]> {
    const rows = await db
      .with('expired', (qc) =>
        qc
          .selectFrom('jobs')
          .select(['id', 'lease_owner'])
          .where('state', '=', sql.lit('running'))
          .where('lease_expires_at', '<', sql<Date>`now()`)
          .forUpdate()
          .skipLocked(),
      )
      .updateTable('jobs as j')
      .from('expired as e')
      .set({
        state: sql<string>`CASE WHEN j.attempts >= j.max_attempts THEN 'failed' ELSE 'pending' END`,
        finished_at: sql<Date | null>`CASE WHEN j.attempts >= j.max_attempts THEN now() END`,
        run_at: sql<Date>`now()`,
        last_error: sql`jsonb_build_object('message', 'the lease of ' || e.lease_owner || ' ran out before the job finished')`,
        lease_owner: null,
        lease_expires_at: null,
        updated_at: sql<Date>`now()`,
      })
      .whereRef('j.id', '=', 'e.id')
      .returning(['j.id', 'j.queue', 'j.key', 'j.state', 'e.lease_owner as leaseOwner'])
      .execute();
    return rows;
  },

  /**
   * How far the jobs of a queue whose key starts with `prefix` (a round's jobs) are: one row, however
   * many jobs (each job of a round asks when it ends; reading every job's row made that quadratic).
   */
  async progressByKeyPrefix(
    db: Db,
    queue: string,
    prefix: string,
  ): Promise<{
    total: number;
    unfinished: number;
    firstCreatedAt: Date | null;
    lastFinishedAt: Date | null;
  }> {
    const r = await db
      .selectFrom('jobs')
      .select((eb) => [
        eb.fn.countAll<string>().as('total'),
        sql<string>`count(*) FILTER (WHERE state IN ('pending', 'running'))`.as('unfinished'),
        eb.fn.min('created_at').as('first_created_at'),
        eb.fn.max('finished_at').as('last_finished_at'),
      ])
      .where('queue', '=', queue)
      .where(sql<boolean>`starts_with(key, ${prefix})`)
      .executeTakeFirstOrThrow();
    return {
      total: Number(r.total),
      unfinished: Number(r.unfinished),
      firstCreatedAt: r.first_created_at,
      lastFinishedAt: r.last_finished_at,
    };
  },

  /** Counts by queue and state (metrics). */
  async depth(db: Db): Promise<{ queue: string; state: string; count: number }[]> {
    const rows = await db
      .selectFrom('jobs')
      .select(['queue', 'state', (eb) => eb.fn.countAll<string>().as('n')])
      .where('state', 'in', ['pending', 'running'])
      .groupBy(['queue', 'state'])
      .execute();
    return rows.map((r) => ({ queue: r.queue, state: r.state, count: Number(r.n) }));
  },

  /** Deletes the unfinished jobs of a queue with these keys (their work was deleted); returns how many. */
  async cancel(db: Db, queue: string, keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const r = await db
      .deleteFrom('jobs')
      .where('queue', '=', queue)
      .where('key', '=', sql<string>`any(${[...keys]}::text[])`)
      .where('state', 'in', ['pending', 'running'])
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },

  /** Deletes finished jobs older than `days` (their keys may then be enqueued again). */
  async purgeFinished(db: Db, days: number): Promise<number> {
    const r = await db
      .deleteFrom('jobs')
      .where('state', 'in', ['done', 'failed'])
      .where('finished_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  },
};
