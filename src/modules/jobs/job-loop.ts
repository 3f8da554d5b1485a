/**
 * The claim loop every background worker runs on (the job runner; the forwarder keeps its own
 * outbox but the same shape): slots, a claim when there is room, a poll or a wake-up when there is
 * none, expired leases looked for once per poll interval, and a stop that lets work in flight finish
 * for a grace period and then aborts it through one shared signal. What a claim is, and what running
 * one item means, belong to the caller.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';

export interface JobLoopDeps<T extends { readonly id: string }> {
  /** Items running at once in this process. */
  readonly concurrency: number;
  readonly pollMs: number;
  readonly logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** For the log lines. */
  readonly name: string;
  /** Claims up to `limit` due items (under a lease). */
  readonly claim: (limit: number) => Promise<readonly T[]>;
  /** Gives items whose lease ran out back (called at most once per poll interval). */
  readonly reclaim?: () => Promise<void>;
  /** Runs one claimed item; must not throw (a throw is logged). The signal aborts at a hard stop. */
  readonly run: (item: T, signal: AbortSignal) => Promise<void>;
}

export interface JobLoop {
  start(): void;
  /** Wakes the loop now (new work was enqueued in this process). */
  poke(): void;
  /** Stops claiming; work in flight may finish for `graceMs`, then is aborted and awaited. */
  stop(graceMs: number): Promise<void>;
  readonly inFlight: number;
}

// One signal shared by every item in flight (each may add a listener): no listener limit.
function newAbort(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}

export function createJobLoop<T extends { readonly id: string }>(deps: JobLoopDeps<T>): JobLoop {
  const { logger, name } = deps;
  const running = new Map<string, Promise<void>>();
  let stopping = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let abort = newAbort();
  let lastReclaim = 0;

  async function tick(): Promise<number> {
    if (deps.reclaim && Date.now() - lastReclaim >= deps.pollMs) {
      lastReclaim = Date.now();
      await deps.reclaim();
    }
    const room = deps.concurrency - running.size;
    if (room <= 0 || stopping) return 0;
    const claimed = await deps.claim(room);
    for (const item of claimed) {
      const job = deps
        .run(item, abort.signal)
        .catch((err) => logger.error({ err, id: item.id }, `${name}: a job failed unexpectedly`))
        .finally(() => {
          running.delete(item.id);
          wake?.();
        });
      running.set(item.id, job);
    }
    return claimed.length;
  }

  async function run(): Promise<void> {
    while (!stopping) {
      let claimed = 0;
      try {
        claimed = await tick();
      } catch (err) {
        logger.error({ err }, `${name}: claiming failed`);
      }
      if (stopping) break;
      if (claimed === 0 || running.size >= deps.concurrency) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, deps.pollMs);
        });
        clearTimeout(timer);
        wake = undefined;
      }
    }
  }

  return {
    start() {
      if (loop) return;
      stopping = false;
      loop = run();
      logger.info({ concurrency: deps.concurrency }, `${name}: started`);
    },
    poke() {
      wake?.();
    },
    async stop(graceMs) {
      if (!loop) return;
      stopping = true;
      wake?.();
      await loop;
      loop = undefined;
      const all = Promise.allSettled(running.values());
      let timer: NodeJS.Timeout | undefined;
      const graceful = await Promise.race([
        all.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), graceMs);
        }),
      ]);
      clearTimeout(timer);
      if (!graceful) {
        logger.warn({ inFlight: running.size }, `${name}: aborting work still in flight`);
        abort.abort();
        await all;
      }
      abort = newAbort();
      logger.info(`${name}: stopped`);
    },
    get inFlight() {
      return running.size;
    },
  };
}
