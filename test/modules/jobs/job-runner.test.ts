/**
 * The job queue and its runner on a real PostgreSQL (issue 17): enqueueing is idempotent per queue
 * and key even when callers race; two runners on one database never run a job twice; failures are
 * retried after a backoff and fail for good after `max_attempts` (or at once when permanent); a
 * job whose worker died is reclaimed when its lease runs out; a stop lets handlers finish within
 * the grace period and releases the others; completion shares the fate of the handler's
 * transaction; and only old finished jobs are purged.
 */
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { type Database, openDatabase } from '../../../src/db/client.js';
import { inTransaction } from '../../../src/db/transaction.js';
import {
  createJobRunner,
  type JobHandler,
  type JobRunner,
  LeaseLostError,
  PermanentJobError,
  RetryJobError,
} from '../../../src/modules/jobs/job-runner.js';
import { jobsRepository as jobs } from '../../../src/modules/jobs/jobs.repository.js';
import { createMigratedDatabase } from '../../support/database.js';

let base: Database & { readonly url: string };
/** A second pool on the same database: a second process, as far as PostgreSQL can tell. */
let other: Database;
const runners: JobRunner[] = [];
const silent = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await sleep(20);
  }
}

/** A runner on `db` for one queue, stopped after each test. */
function runner(
  queue: string,
  handler: JobHandler,
  options: Partial<Parameters<typeof createJobRunner>[0]> = {},
): JobRunner {
  const r = createJobRunner({
    db: base.db,
    logger: silent,
    concurrency: 4,
    leaseSeconds: 30,
    pollMs: 25,
    baseDelayMs: 100,
    maxDelayMs: 1_000,
    random: () => 1,
    ...options,
  });
  r.handle(queue, handler);
  runners.push(r);
  return r;
}

const jobOf = async (queue: string, key: string) =>
  base.db
    .selectFrom('jobs')
    .selectAll()
    .where('queue', '=', queue)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();

beforeAll(async () => {
  base = await createMigratedDatabase('jobs');
  other = openDatabase({ url: base.url, poolMax: 6 });
  await sql`CREATE TABLE job_results (job_id uuid NOT NULL, note text NOT NULL)`.execute(base.db);
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((r) => r.stop(2_000)));
});

afterAll(async () => {
  await other?.close();
  await base?.close();
});

describe('enqueue', () => {
  test('is idempotent per (queue, key) across 20 concurrent callers on two pools', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        jobs.enqueue(i % 2 === 0 ? base.db : other.db, [
          { queue: 'q.enqueue', key: 'same-key', payload: { caller: i } },
        ]),
      ),
    );
    expect(results.flat()).toHaveLength(1);
    const rows = await base.db.selectFrom('jobs').selectAll().where('queue', '=', 'q.enqueue').execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(results.flat()[0]?.id);
    expect(rows[0]).toMatchObject({ key: 'same-key', state: 'pending', attempts: 0 });

    // the same key in another queue is another job; a finished job's key is still taken
    expect(await jobs.enqueue(base.db, [{ queue: 'q.enqueue.other', key: 'same-key' }])).toHaveLength(1);
    await base.db.updateTable('jobs').set({ state: 'done' }).where('queue', '=', 'q.enqueue').execute();
    expect(await jobs.enqueue(base.db, [{ queue: 'q.enqueue', key: 'same-key' }])).toEqual([]);
  });
});

describe('two runners on one database', () => {
  test('200 jobs, two runners with concurrency 4 each: every handler called exactly once', async () => {
    const queue = 'q.shared';
    const calls = new Map<string, string[]>();
    const handler =
      (name: string): JobHandler =>
      async ({ job }) => {
        calls.set(job.key, [...(calls.get(job.key) ?? []), name]);
        await sleep(Math.floor(Math.random() * 8));
      };
    const a = runner(queue, handler('a'), { db: base.db, workerId: 'runner-a' });
    const b = runner(queue, handler('b'), { db: other.db, workerId: 'runner-b' });
    await jobs.enqueue(
      base.db,
      Array.from({ length: 200 }, (_, i) => ({ queue, key: `job-${i}` })),
    );
    a.start();
    b.start();
    await until('200 jobs done', async () => {
      const n = await base.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('queue', '=', queue)
        .where('state', '=', 'done')
        .executeTakeFirstOrThrow();
      return Number(n.n) === 200;
    });
    expect(calls.size).toBe(200);
    const twice = [...calls].filter(([, by]) => by.length !== 1);
    expect(twice).toEqual([]);
    const by = [...calls.values()].flat();
    // both took part
    expect(by.filter((n) => n === 'a').length).toBeGreaterThan(0);
    expect(by.filter((n) => n === 'b').length).toBeGreaterThan(0);
    const rows = await base.db.selectFrom('jobs').selectAll().where('queue', '=', queue).execute();
    expect(rows.every((r) => r.attempts === 1 && r.lease_owner === null && r.finished_at !== null)).toBe(
      true,
    );
  });
});

describe('failures', () => {
  test('a throwing handler is retried after its backoff and fails for good after max_attempts', async () => {
    const queue = 'q.flaky';
    const attempts: number[] = [];
    const r = runner(queue, async ({ job }) => {
      attempts.push(Date.now());
      throw new Error(`boom ${job.attempts}`);
    });
    await r.enqueue(base.db, [{ queue, key: 'k', maxAttempts: 3 }]);
    r.start();
    await until(
      'first attempt failed',
      async () => (await jobOf(queue, 'k')).state === 'pending' && attempts.length === 1,
    );
    const afterFirst = await jobOf(queue, 'k');
    expect(afterFirst.attempts).toBe(1);
    expect(afterFirst.last_error).toEqual({ message: 'boom 1' });
    expect(afterFirst.lease_owner).toBeNull();
    expect(afterFirst.run_at.getTime()).toBeGreaterThan(Date.now() - 50);

    await until('failed for good', async () => (await jobOf(queue, 'k')).state === 'failed');
    const failed = await jobOf(queue, 'k');
    expect(failed).toMatchObject({ attempts: 3, last_error: { message: 'boom 3' } });
    expect(failed.finished_at).not.toBeNull();
    expect(attempts).toHaveLength(3);
    // backoff with random() = 1: 100 ms after the first attempt, 200 ms after the second
    expect((attempts[1] as number) - (attempts[0] as number)).toBeGreaterThanOrEqual(90);
    expect((attempts[2] as number) - (attempts[1] as number)).toBeGreaterThanOrEqual(190);
    await sleep(400);
    expect(attempts).toHaveLength(3); // nothing after the last
  });

  test('PermanentJobError fails the job at once, its attempts left unused', async () => {
    const queue = 'q.permanent';
    let calls = 0;
    const r = runner(queue, async () => {
      calls += 1;
      throw new PermanentJobError('cannot ever work');
    });
    await r.enqueue(base.db, [{ queue, key: 'k', maxAttempts: 5 }]);
    r.start();
    await until('failed', async () => (await jobOf(queue, 'k')).state === 'failed');
    await sleep(300);
    expect(calls).toBe(1);
    expect(await jobOf(queue, 'k')).toMatchObject({
      state: 'failed',
      attempts: 1,
      last_error: { message: 'cannot ever work' },
    });
  });
});

describe('retry at a chosen time (RetryJobError)', () => {
  test('runs the job again after the delay the handler named, not after the runner’s backoff', async () => {
    const queue = 'q.retry-at';
    const attempts: number[] = [];
    // the runner's own backoff would be 100 ms (random() = 1); the handler asks for 600 ms
    const r = runner(queue, async () => {
      attempts.push(Date.now());
      if (attempts.length === 1) throw new RetryJobError('receiver said Retry-After', 600);
    });
    await r.enqueue(base.db, [{ queue, key: 'k', maxAttempts: 3 }]);
    r.start();
    await until('first attempt failed', async () => attempts.length === 1);
    await until('pending again', async () => (await jobOf(queue, 'k')).state === 'pending');
    const pending = await jobOf(queue, 'k');
    expect(pending.last_error).toEqual({ message: 'receiver said Retry-After' });
    expect(pending.run_at.getTime() - (attempts[0] as number)).toBeGreaterThanOrEqual(500);
    await until('done', async () => (await jobOf(queue, 'k')).state === 'done');
    expect((attempts[1] as number) - (attempts[0] as number)).toBeGreaterThanOrEqual(580);
    expect(await jobOf(queue, 'k')).toMatchObject({ attempts: 2, state: 'done' });
  });

  test('still fails for good once max_attempts are used', async () => {
    const queue = 'q.retry-at-exhausted';
    let calls = 0;
    const r = runner(queue, async () => {
      calls += 1;
      throw new RetryJobError('again', 10);
    });
    await r.enqueue(base.db, [{ queue, key: 'k', maxAttempts: 2 }]);
    r.start();
    await until('failed', async () => (await jobOf(queue, 'k')).state === 'failed');
    expect(calls).toBe(2);
  });
});

describe('completion in batches', () => {
  test('jobs that finish together are marked done in fewer statements than jobs, each exactly once', async () => {
    const queue = 'q.batched-done';
    const spy = vi.spyOn(jobs, 'completeMany');
    try {
      let ran = 0;
      const r = runner(
        queue,
        async () => {
          ran += 1;
        },
        { concurrency: 16, claimBatch: 8 },
      );
      await r.enqueue(
        base.db,
        Array.from({ length: 120 }, (_, i) => ({ queue, key: `k${i}` })),
      );
      r.start();
      await until('all done', async () => {
        const rows = await base.db
          .selectFrom('jobs')
          .select('state')
          .where('queue', '=', queue)
          .where('state', '=', 'done')
          .execute();
        return rows.length === 120;
      });
      expect(ran).toBe(120);
      const ids = spy.mock.calls.flatMap(([, p]) => p.ids);
      expect(ids).toHaveLength(120);
      expect(new Set(ids).size).toBe(120);
      expect(spy.mock.calls.length).toBeLessThan(120);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('leases', () => {
  test('a job claimed by a worker that died is reclaimed once its lease runs out and run by another', async () => {
    const queue = 'q.lease';
    await jobs.enqueue(base.db, [{ queue, key: 'orphan' }]);
    const [claimed] = await jobs.claim(base.db, {
      queues: [queue],
      worker: 'dead-worker',
      limit: 1,
      leaseSeconds: 1,
    });
    expect(claimed).toMatchObject({
      key: 'orphan',
      state: 'running',
      leaseOwner: 'dead-worker',
      attempts: 1,
    });
    const claimedAt = Date.now();

    const ran: { worker: string; at: number; attempts: number }[] = [];
    const r = runner(
      queue,
      async ({ job }) => {
        ran.push({ worker: 'survivor', at: Date.now(), attempts: job.attempts });
      },
      { workerId: 'survivor', pollMs: 100 },
    );
    r.start();
    await until('done by the survivor', async () => (await jobOf(queue, 'orphan')).state === 'done', 10_000);
    expect(ran).toHaveLength(1);
    // not before the dead worker's lease ran out
    expect((ran[0]?.at as number) - claimedAt).toBeGreaterThanOrEqual(900);
    expect(ran[0]?.attempts).toBe(2); // the dead worker's attempt counts
    // the dead worker, were it to wake up, can no longer complete or fail the job
    expect(await jobs.complete(base.db, { id: claimed?.id as string, worker: 'dead-worker' })).toBe(false);
    await jobs.settleFailure(base.db, {
      id: claimed?.id as string,
      worker: 'dead-worker',
      error: {},
      retryInMs: 0,
    });
    expect((await jobOf(queue, 'orphan')).state).toBe('done');
  });

  test('a handler whose lease was taken over cannot complete: LeaseLostError, its results roll back', async () => {
    const queue = 'q.stolen';
    let seen: unknown;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const r = runner(queue, async (ctx) => {
      await gate;
      try {
        await inTransaction(base.db, async (tx) => {
          await sql`INSERT INTO job_results VALUES (${ctx.job.id}, 'stolen')`.execute(tx);
          await ctx.complete(tx);
        });
      } catch (err) {
        seen = err;
        throw err;
      }
    });
    await r.enqueue(base.db, [{ queue, key: 'k' }]);
    r.start();
    await until('running', async () => (await jobOf(queue, 'k')).state === 'running');
    await base.db.updateTable('jobs').set({ lease_owner: 'thief' }).where('queue', '=', queue).execute();
    release();
    await until('handler finished', () => seen !== undefined);
    await sleep(100);
    expect(seen).toBeInstanceOf(LeaseLostError);
    const job = await jobOf(queue, 'k');
    expect(job).toMatchObject({ state: 'running', lease_owner: 'thief' }); // left to its new owner
    const results = await sql`SELECT count(*)::int AS n FROM job_results WHERE job_id = ${job.id}`.execute(
      base.db,
    );
    expect(results.rows).toEqual([{ n: 0 }]);
  });
});

describe('stop(grace)', () => {
  test('a handler finishing within grace completes; one that does not is aborted and released, its attempt not counted', async () => {
    const queue = 'q.stop';
    const aborted: string[] = [];
    const finished: string[] = [];
    const r = runner(queue, async ({ job, signal }) => {
      const ms = job.key === 'quick' ? 200 : 60_000;
      await new Promise<void>((resolve, reject) => {
        const onAbort = () => {
          clearTimeout(timer);
          aborted.push(job.key);
          reject(new Error('aborted'));
        };
        const timer = setTimeout(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        }, ms);
        signal.addEventListener('abort', onAbort, { once: true });
      });
      finished.push(job.key);
    });
    await r.enqueue(base.db, [
      { queue, key: 'quick' },
      { queue, key: 'slow' },
    ]);
    r.start();
    await until('both running', async () => {
      const rows = await base.db.selectFrom('jobs').select('state').where('queue', '=', queue).execute();
      return rows.length === 2 && rows.every((x) => x.state === 'running');
    });
    const stopping = performance.now();
    await r.stop(700);
    const tookMs = performance.now() - stopping;
    expect(tookMs).toBeGreaterThanOrEqual(650);
    expect(tookMs).toBeLessThan(2_000);
    expect(finished).toEqual(['quick']);
    expect(aborted).toEqual(['slow']);
    expect(await jobOf(queue, 'quick')).toMatchObject({ state: 'done', attempts: 1 });
    const slow = await jobOf(queue, 'slow');
    expect(slow).toMatchObject({ state: 'pending', attempts: 0, lease_owner: null, lease_expires_at: null });
    expect(slow.run_at.getTime()).toBeLessThanOrEqual(Date.now());
  });
});

describe('completion in the handler’s transaction', () => {
  test('ctx.complete(tx) in a transaction that rolls back leaves the job not done, and its results unwritten', async () => {
    const queue = 'q.tx';
    let calls = 0;
    const r = runner(queue, async (ctx) => {
      calls += 1;
      const attempt = calls;
      await inTransaction(base.db, async (tx) => {
        await sql`INSERT INTO job_results VALUES (${ctx.job.id}, ${`attempt ${attempt}`})`.execute(tx);
        await ctx.complete(tx);
        if (attempt === 1) throw new Error('rolled back after complete');
      });
    });
    await r.enqueue(base.db, [{ queue, key: 'k', maxAttempts: 3 }]);
    r.start();
    await until(
      'first attempt settled',
      async () => calls === 1 && (await jobOf(queue, 'k')).state !== 'running',
    );
    const afterFirst = await jobOf(queue, 'k');
    expect(afterFirst).toMatchObject({ state: 'pending', attempts: 1, finished_at: null });
    expect(afterFirst.last_error).toEqual({ message: 'rolled back after complete' });

    await until('done', async () => (await jobOf(queue, 'k')).state === 'done');
    expect(calls).toBe(2);
    const results = await sql<{
      note: string;
    }>`SELECT note FROM job_results WHERE job_id = ${afterFirst.id}`.execute(base.db);
    expect(results.rows).toEqual([{ note: 'attempt 2' }]);
  });
});

describe('purgeFinished', () => {
  test('deletes only done and failed jobs finished longer ago than the retention', async () => {
    const queue = 'q.purge';
    const keys = ['old-done', 'old-failed', 'new-done', 'old-pending', 'old-running'];
    await jobs.enqueue(
      base.db,
      keys.map((key) => ({ queue, key })),
    );
    const set = (key: string, state: string, finishedDaysAgo: number | null) =>
      base.db
        .updateTable('jobs')
        .set({
          state,
          created_at: sql<Date>`now() - interval '30 days'`,
          lease_owner: state === 'running' ? 'some-worker' : null,
          lease_expires_at: state === 'running' ? sql<Date>`now() + interval '1 minute'` : null,
          finished_at:
            finishedDaysAgo === null ? null : sql<Date>`now() - make_interval(days => ${finishedDaysAgo})`,
        })
        .where('queue', '=', queue)
        .where('key', '=', key)
        .execute();
    await set('old-done', 'done', 8);
    await set('old-failed', 'failed', 10);
    await set('new-done', 'done', 6);
    await set('old-pending', 'pending', null);
    await set('old-running', 'running', null);

    expect(await jobs.purgeFinished(base.db, 7)).toBe(2);
    const left = await base.db
      .selectFrom('jobs')
      .select('key')
      .where('queue', '=', queue)
      .orderBy('key')
      .execute();
    expect(left.map((r) => r.key)).toEqual(['new-done', 'old-pending', 'old-running']);
    // a purged key can be enqueued again
    expect(await jobs.enqueue(base.db, [{ queue, key: 'old-done' }])).toHaveLength(1);
  });
});

describe('a handler that returns normally after its completing transaction rolled back', () => {
  test('the job is still marked done (it returned without completing), not left running under a dead lease', async () => {
    const queue = 'q.swallowed';
    let calls = 0;
    const r = runner(queue, async (ctx) => {
      calls += 1;
      await inTransaction(base.db, async (tx) => {
        await ctx.complete(tx);
        throw new Error('the write failed after complete');
      }).catch(() => undefined); // the handler gives up on its results and returns
    });
    await r.enqueue(base.db, [{ queue, key: 'k' }]);
    r.start();
    await until('handler returned', () => calls === 1);
    await until('not running', async () => (await jobOf(queue, 'k')).state !== 'running', 3_000).catch(
      () => undefined,
    );
    const job = await jobOf(queue, 'k');
    expect(job).toMatchObject({ state: 'done', lease_owner: null, attempts: 1 });
    expect(calls).toBe(1);
  });
});

describe('a queue with its own bound', () => {
  test('runs at most its concurrency at once while the runner has more slots, and other queues use them', async () => {
    let now = 0;
    let most = 0;
    let other = 0;
    const r = createJobRunner({ db: base.db, logger: silent, concurrency: 6, leaseSeconds: 30, pollMs: 25 });
    runners.push(r);
    r.handle(
      'q.bounded',
      async () => {
        now += 1;
        most = Math.max(most, now);
        await sleep(30);
        now -= 1;
      },
      { concurrency: 2 },
    );
    r.handle('q.free', async () => {
      other += 1;
      await sleep(30);
    });
    await jobs.enqueue(base.db, [
      ...Array.from({ length: 12 }, (_, i) => ({ queue: 'q.bounded', key: `b-${i}` })),
      ...Array.from({ length: 12 }, (_, i) => ({ queue: 'q.free', key: `f-${i}` })),
    ]);
    r.start();
    await until('all done', async () => {
      const n = await base.db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('queue', 'in', ['q.bounded', 'q.free'])
        .where('state', '=', 'done')
        .executeTakeFirstOrThrow();
      return Number(n.n) === 24;
    });
    expect(most).toBe(2);
    expect(other).toBe(12);
  });
});

describe('a paced queue (a share of the time)', () => {
  test('with share 0.25, each job’s slot stays taken three times its run after it; other queues are not held back', async () => {
    const runs: { start: number; end: number }[] = [];
    const free: number[] = [];
    const r = createJobRunner({
      db: base.db,
      logger: silent,
      concurrency: 4,
      leaseSeconds: 30,
      pollMs: 5_000,
    });
    runners.push(r);
    r.handle(
      'q.paced',
      async () => {
        const start = performance.now();
        await sleep(60);
        runs.push({ start, end: performance.now() });
      },
      { share: 0.25 },
    );
    r.handle('q.other', async () => {
      free.push(performance.now());
    });
    await jobs.enqueue(base.db, [
      ...Array.from({ length: 4 }, (_, i) => ({ queue: 'q.paced', key: `p-${i}` })),
      ...Array.from({ length: 4 }, (_, i) => ({ queue: 'q.other', key: `o-${i}` })),
    ]);
    const began = performance.now();
    r.start();
    await until('all done', async () => runs.length === 4 && free.length === 4);
    // One at a time (a share without a bound means one), each after the pause of the one before
    // (3 × its run, ≥ 180 ms), and the next one claimed when the pause ends, not at the next poll (5 s).
    for (let i = 1; i < runs.length; i += 1) {
      const before = runs[i - 1] as { start: number; end: number };
      const gap = (runs[i] as { start: number }).start - before.end;
      expect(gap).toBeGreaterThanOrEqual(3 * (before.end - before.start) - 5);
      expect(gap).toBeLessThan(2_500);
    }
    // The other queue ran at once, during the paced queue's first job and pause.
    expect(Math.max(...free) - began).toBeLessThan((runs[1] as { start: number }).start - began);
  });
});
