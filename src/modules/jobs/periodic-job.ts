/**
 * A job that runs once per period on the job queue however many processes schedule it: each
 * process enqueues the current period's job, keyed by the period's start (the queue's unique
 * (queue, key) keeps one), now and then every quarter period (at most every minute) until stopped.
 * The queue's handler does the work; a process that stops mid-run leaves it to the lease's reclaim.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import type { JobRunner } from './job-runner.js';

export interface PeriodicJobDeps {
  readonly db: Db;
  readonly jobs: Pick<JobRunner, 'enqueue'>;
  readonly queue: string;
  readonly intervalMs: number;
  readonly logger: Pick<Logger, 'error'>;
}

/** The start of the period `at` falls in: every replica names a period alike. */
export const periodStart = (at: number, intervalMs: number) =>
  new Date(Math.floor(at / intervalMs) * intervalMs);

export function periodicJob(deps: PeriodicJobDeps) {
  let timer: NodeJS.Timeout | undefined;
  const schedule = async (at = Date.now()): Promise<boolean> => {
    const start = periodStart(at, deps.intervalMs);
    const created = await deps.jobs.enqueue(deps.db, [
      { queue: deps.queue, key: `interval:${start.toISOString()}`, payload: {} },
    ]);
    return created.length > 0;
  };
  return {
    /** Enqueues the period's job; true when this call created it (false: it existed). */
    schedule,
    start(): void {
      if (timer) return;
      const tick = () => {
        schedule().catch((err: unknown) =>
          deps.logger.error({ err, queue: deps.queue }, 'scheduling a periodic job failed'),
        );
      };
      tick();
      timer = setInterval(tick, Math.max(1_000, Math.min(60_000, deps.intervalMs / 4)));
      timer.unref();
    },
    stop(): void {
      clearInterval(timer);
      timer = undefined;
    },
  };
}
