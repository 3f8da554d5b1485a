/**
 * Runs the jobs of the `jobs` table (jobs.repository.ts) on the claim loop (job-loop.ts): one handler
 * per queue, a lease renewed while a handler runs, backoff between attempts, a permanent failure
 * when a handler says so or the attempts are used up, expired leases reclaimed, and a stop that
 * releases the jobs still running (due again at once, the attempt not counted).
 *
 * A handler that writes its results should mark the job done in the same transaction
 * (`ctx.complete(tx)`): then a crash leaves either both or neither, and a job is never done twice.
 * A handler that returns without completing (or whose completing transaction rolled back) is marked
 * done afterwards.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { backoffMs } from '../../lib/backoff.js';
import { coalesced } from '../../lib/coalesce.js';
import { createJobLoop } from './job-loop.js';
import { type JobRow, jobsRepository as jobs, type NewJob } from './jobs.repository.js';

export interface JobContext {
  readonly job: JobRow;
  /** The lease owner this job runs under (for a handler that completes its job in its own statement). */
  readonly worker: string;
  /** Aborted when the service stops for good (after the grace period). */
  readonly signal: AbortSignal;
  /** Marks the job done on `db` (pass the transaction that writes its results). */
  complete(db: Db): Promise<void>;
}

/**
 * Runs a job. Returns `'completed'` when the handler itself marked its job done in a statement that
 * has committed (`jobsRepository.completeSql` inside its own statement): the runner then leaves it.
 */
// biome-ignore lint/suspicious/noConfusingVoidType: most handlers return nothing; one may say 'completed'
export type JobHandler = (ctx: JobContext) => Promise<void | 'completed'>;

/** Thrown by a handler for a failure that another attempt cannot fix. */
export class PermanentJobError extends Error {
  override readonly name = 'PermanentJobError';
}

/**
 * Thrown by a handler for a failure another attempt may fix, at a time the handler chose (a
 * receiver's `Retry-After`, the handler's own backoff) instead of the runner's backoff. The attempts
 * still count: after `max_attempts` the job fails for good.
 */
export class RetryJobError extends Error {
  override readonly name = 'RetryJobError';
  constructor(
    message: string,
    readonly retryInMs: number,
  ) {
    super(message);
  }
}

/** The job's lease was lost (it ran out and another worker took the job): its results must not commit. */
export class LeaseLostError extends Error {
  override readonly name = 'LeaseLostError';
  constructor(id: string) {
    super(`the lease of job ${id} was lost`);
  }
}

/** The longest pause of a paced queue after one job. */
const MAX_PAUSE_MS = 10_000;

export interface JobRunnerDeps {
  readonly db: Db;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  readonly concurrency: number;
  readonly leaseSeconds: number;
  readonly pollMs: number;
  /** Backoff between attempts. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly workerId?: string;
  readonly random?: () => number;
  /**
   * Claim again only once this many slots are free (default 1): fewer, larger claims for a queue of
   * many short jobs (webhook deliveries).
   */
  readonly claimBatch?: number;
}

export function createJobRunner(deps: JobRunnerDeps) {
  const { db, logger } = deps;
  const worker = deps.workerId ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  const random = deps.random ?? Math.random;
  const handlers = new Map<string, JobHandler>();
  // A queue may run fewer jobs at once than the runner (the watch: background work that must not
  // crowd out the API on a small machine); these count its jobs running in this process.
  const limits = new Map<string, number>();
  const runningIn = new Map<string, number>();
  // A queue may also be paced: it runs at most this share of the time (after a job of t ms its
  // slot stays taken for t × (1 / share − 1) ms), so that its work is spread rather than bunched.
  const shares = new Map<string, number>();
  const pauses = new Set<NodeJS.Timeout>();
  const backoff = { baseDelayMs: deps.baseDelayMs ?? 5_000, maxDelayMs: deps.maxDelayMs ?? 300_000 };

  // Jobs that end at about the same time are marked done together, in one statement (a queue of
  // short jobs otherwise pays one round trip per job for it).
  const completeSoon = coalesced(async (ids: readonly string[]) => {
    const marked = await jobs.completeMany(db, { ids, worker });
    return ids.map((id) => marked.has(id));
  });

  async function runJob(job: JobRow, signal: AbortSignal): Promise<void> {
    const handler = handlers.get(job.queue);
    if (!handler) return;
    let completed = false;
    const heartbeat = setInterval(
      () => {
        jobs
          .heartbeat(db, { id: job.id, worker, leaseSeconds: deps.leaseSeconds })
          .catch((err) => logger.warn({ err, job: job.id }, 'jobs: lease renewal failed'));
      },
      Math.max(1_000, (deps.leaseSeconds * 1000) / 3),
    );
    heartbeat.unref();
    const started = performance.now();
    try {
      const outcome = await handler({
        job,
        worker,
        signal,
        async complete(on) {
          if (!(await jobs.complete(on, { id: job.id, worker }))) throw new LeaseLostError(job.id);
          completed = true;
        },
      });
      // Marked done here too when the handler completed in a transaction that then rolled back
      // (it returned all the same): `completed` says only that the UPDATE ran, not that it committed.
      // A job really done is no longer running under this lease, so the statement changes nothing.
      if (outcome !== 'completed' && !(await completeSoon(job.id)) && !completed)
        throw new LeaseLostError(job.id);
      logger.debug(
        { job: job.id, queue: job.queue, key: job.key, ms: Math.round(performance.now() - started) },
        'jobs: done',
      );
    } catch (err) {
      if (err instanceof LeaseLostError) {
        logger.warn({ job: job.id, queue: job.queue, key: job.key }, 'jobs: lease lost; results discarded');
        return;
      }
      if (signal.aborted) {
        await jobs.release(db, { id: job.id, worker });
        logger.warn({ job: job.id, queue: job.queue, key: job.key }, 'jobs: released unfinished at stop');
        return;
      }
      const permanent = err instanceof PermanentJobError || job.attempts >= job.maxAttempts;
      const retryInMs = permanent
        ? null
        : err instanceof RetryJobError
          ? Math.max(0, err.retryInMs)
          : backoffMs(job.attempts, backoff, random);
      const message = err instanceof Error ? err.message : String(err);
      await jobs.settleFailure(db, { id: job.id, worker, error: { message }, retryInMs });
      logger.warn(
        { err, job: job.id, queue: job.queue, key: job.key, attempt: job.attempts, retryInMs },
        permanent ? 'jobs: failed for good' : 'jobs: failed; will retry',
      );
    } finally {
      clearInterval(heartbeat);
    }
  }

  const loop = createJobLoop<JobRow>({
    name: 'jobs',
    concurrency: deps.concurrency,
    pollMs: deps.pollMs,
    claimBatch: deps.claimBatch,
    logger,
    claim: async (limit) => {
      const open = [...handlers.keys()].filter((q) => !limits.has(q));
      const claimed = await jobs.claim(db, { queues: open, worker, limit, leaseSeconds: deps.leaseSeconds });
      for (const [queue, most] of limits) {
        const room = Math.min(most - (runningIn.get(queue) ?? 0), limit - claimed.length);
        if (room > 0)
          claimed.push(
            ...(await jobs.claim(db, {
              queues: [queue],
              worker,
              limit: room,
              leaseSeconds: deps.leaseSeconds,
            })),
          );
      }
      for (const job of claimed) runningIn.set(job.queue, (runningIn.get(job.queue) ?? 0) + 1);
      return claimed;
    },
    reclaim: async () => {
      const reclaimed = await jobs.reclaimExpired(db);
      if (reclaimed.length > 0) {
        logger.warn({ worker, jobs: reclaimed }, 'jobs: reclaimed jobs whose lease ran out');
      }
    },
    run: (job, signal) => {
      const started = performance.now();
      const free = () => runningIn.set(job.queue, (runningIn.get(job.queue) ?? 1) - 1);
      return runJob(job, signal).finally(() => {
        const share = shares.get(job.queue);
        if (share === undefined || share >= 1 || signal.aborted) return free();
        const pause = setTimeout(
          () => {
            pauses.delete(pause);
            free();
            loop.poke();
          },
          // at most MAX_PAUSE_MS: a job that was long because it waited (a hanging peer) needs no long rest
          Math.min(MAX_PAUSE_MS, (performance.now() - started) * (1 / share - 1)),
        );
        pause.unref();
        pauses.add(pause);
      });
    },
  });

  return {
    worker,
    /** Registers the handler of a queue (before start). */
    handle(queue: string, handler: JobHandler, options: { concurrency?: number; share?: number } = {}): void {
      handlers.set(queue, handler);
      if (options.concurrency !== undefined) limits.set(queue, options.concurrency);
      if (options.share !== undefined) {
        shares.set(queue, options.share);
        if (!limits.has(queue)) limits.set(queue, 1);
      }
    },
    /** Enqueues jobs (idempotent per queue and key) and wakes this process's loop. */
    async enqueue(on: Db, list: readonly NewJob[]) {
      const created = await jobs.enqueue(on, list);
      if (created.length > 0) loop.poke();
      return created;
    },
    start: () => loop.start(),
    stop: (graceMs: number) => {
      for (const pause of pauses) clearTimeout(pause);
      pauses.clear();
      return loop.stop(graceMs);
    },
    poke: () => loop.poke(),
    get inFlight() {
      return loop.inFlight;
    },
  };
}

export type JobRunner = ReturnType<typeof createJobRunner>;
