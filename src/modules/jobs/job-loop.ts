/**
 * The claim loop every background worker runs on (the job runner of the `jobs` table, and the
 * forwarder with its deployments outbox): slots, a claim when there is room, a poll or a wake-up when
 * there is none, expired leases looked for once per poll interval, and a stop that lets work in
 * flight finish for a grace period and then aborts it through one shared signal. What a claim is,
 * and what running one item means, belong to the caller.
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
  /**
   * Runs one claimed item; must not throw (a throw is logged). The signal aborts at a hard stop.
   * `releaseSlot` frees the item's slot before it ends (the forwarder: once Cognigy has answered).
   */
  readonly run: (item: T, signal: AbortSignal, releaseSlot: () => void) => Promise<void>;
  /**
   * Slots free for a claim (default: concurrency minus the items running). The forwarder also bounds
   * the items still writing their outcome after their slot was released.
   */
  readonly room?: (slots: { readonly busy: number; readonly running: number }) => number;
  /** Claim again only once this many slots are free (default 1): fewer, larger claims. */
  readonly claimBatch?: number;
  /** Log fields of the start line. */
  readonly describe?: Readonly<Record<string, unknown>>;
}

export interface JobLoop {
  start(): void;
  /** Wakes the loop now (new work was enqueued in this process). */
  poke(): void;
  /** Stops claiming; work in flight may finish for `graceMs`, then is aborted and awaited. */
  stop(graceMs: number): Promise<void>;
  readonly inFlight: number;
  /** A signal that aborts with the next hard stop. */
  readonly signal: AbortSignal;
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
  // Slots held: from the claim until the item releases its slot or ends.
  let busy = 0;
  const claimBatch = deps.claimBatch ?? 1;
  const room = () =>
    deps.room ? deps.room({ busy, running: running.size }) : deps.concurrency - running.size;

  async function tick(): Promise<number> {
    if (deps.reclaim && Date.now() - lastReclaim >= deps.pollMs) {
      lastReclaim = Date.now();
      await deps.reclaim();
    }
    const free = room();
    if (free <= 0 || stopping) return 0;
    const claimed = await deps.claim(free);
    for (const item of claimed) {
      busy += 1;
      let held = true;
      const releaseSlot = () => {
        if (!held) return;
        held = false;
        busy -= 1;
        if (room() >= claimBatch) wake?.();
      };
      const job = deps
        .run(item, abort.signal, releaseSlot)
        .catch((err) => logger.error({ err, id: item.id }, `${name}: a job failed unexpectedly`))
        .finally(() => {
          releaseSlot();
          running.delete(item.id);
          if (room() >= claimBatch) wake?.();
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
      // Claim again at once when there was work and room; otherwise wait for the poll, or for
      // enough finished items to be worth a claim.
      if (claimed === 0 || room() < claimBatch) {
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
      logger.info({ concurrency: deps.concurrency, ...deps.describe }, `${name}: started`);
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
        logger.warn({ inFlight: running.size, ...deps.describe }, `${name}: aborting work still in flight`);
        abort.abort();
        await all;
      }
      abort = newAbort();
      logger.info({ ...deps.describe }, `${name}: stopped`);
    },
    get inFlight() {
      return running.size;
    },
    get signal() {
      return abort.signal;
    },
  };
}
