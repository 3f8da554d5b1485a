/**
 * The bound per Cognigy installation shared by every process on the database (issue 21, item 5): a
 * call holds one of the installation's `bound` slots in the `installation_slots` table from just
 * before its request until the answer.
 *
 * Why a slot table and not advisory locks: a transaction-scoped advisory lock is held by an open
 * transaction, so each call in flight would keep one pooled connection for the whole call (up to
 * COGNIGY_TIMEOUT_MS), and a process with DB_POOL_MAX = 10 could then make at most 10 calls at
 * once while its API waited for a connection (bench:installation-bound measures both). A slot row
 * costs a claim and a release, each one short statement on its own, and no connection is held between.
 *
 * In one process, the calls waiting for a slot of one installation are served by one claim loop:
 * one statement takes as many free slots as there are waiters (so the cost per call falls as the load
 * rises), and when none is free it asks again every ~SLOT_RETRY_MS. A slot is held under a lease,
 * renewed for all of a process's slots by one statement every third of it: a process killed with -9
 * holds its slots until their lease runs out, then any process takes them over. A slot given back is
 * taken again at once unless another process waits for that installation (installation_waits, written
 * by a claim that came up short): then this process asks again at the same pace as the others, so that
 * none of them keeps the installation to itself.
 */
import type { Logger } from 'pino';
import type { Db } from '../../db/client.js';
import { coalesced } from '../../lib/coalesce.js';
import { type InstallationBound, type ReleaseSlot, SlotWaitStopped } from './installation-bound.js';
import { installationSlotsRepository as slots } from './installation-slots.repository.js';

/** How often a process asks again for a slot of an installation that has none free (± 50 %). */
export const SLOT_RETRY_MS = 100;

export interface SharedInstallationBoundDeps {
  readonly db: Db;
  /** The holder written into the slots (the forwarder's worker id). */
  readonly worker: string;
  /** Slots per installation: calls in flight at once to one installation, across all processes. */
  readonly bound: number;
  /** A slot's lease (FORWARDING_LEASE_SECONDS): how long a dead process's slots stay taken. */
  readonly leaseMs: number;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  readonly retryMs?: number;
  readonly random?: () => number;
}

interface Waiter {
  readonly give: (release: ReleaseSlot) => void;
}

interface Installation {
  readonly key: string;
  readonly waiters: Waiter[];
  /** Slots this process holds. */
  held: number;
  ensured: boolean;
  claiming: boolean;
  timer: NodeJS.Timeout | undefined;
}

export function sharedInstallationBound(deps: SharedInstallationBoundDeps): InstallationBound {
  const { db, worker, bound, leaseMs, logger } = deps;
  const retryMs = deps.retryMs ?? SLOT_RETRY_MS;
  const random = deps.random ?? Math.random;
  const installations = new Map<string, Installation>();
  let renewal: NodeJS.Timeout | undefined;
  let heldInAll = 0;

  // Calls that end together give their slots back in one statement, which says for each whether
  // another process waits for a slot of its installation.
  const giveBack = coalesced(async (batch: ReadonlyArray<{ installation: string; slot: number }>) => {
    const contested = await slots.release(db, worker, batch);
    return batch.map((s) => contested.has(s.installation));
  });

  const stateOf = (key: string): Installation => {
    let state = installations.get(key);
    if (!state) {
      state = { key, waiters: [], held: 0, ensured: false, claiming: false, timer: undefined };
      installations.set(key, state);
    }
    return state;
  };

  function renewing() {
    if (renewal) return;
    renewal = setInterval(
      () => {
        if (heldInAll === 0) return;
        slots.renew(db, worker, leaseMs).catch((err: unknown) => {
          logger.warn({ err, worker }, 'forwarding: renewing the installation slots failed');
        });
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    renewal.unref();
  }

  function askLater(state: Installation) {
    if (state.timer || state.claiming || state.waiters.length === 0) return;
    state.timer = setTimeout(
      () => {
        state.timer = undefined;
        void claim(state);
      },
      retryMs * (0.5 + random()),
    );
  }

  function releaser(state: Installation, slot: number): ReleaseSlot {
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      giveBack({ installation: state.key, slot }).then(
        (othersWait) => {
          state.held -= 1;
          heldInAll -= 1;
          if (othersWait) askLater(state);
          else void claim(state);
        },
        (err: unknown) => {
          // Still ours in the table until its lease runs out (not renewed: it is no longer counted).
          state.held -= 1;
          heldInAll -= 1;
          logger.error(
            { err, installation: state.key, slot },
            'forwarding: giving an installation slot back failed',
          );
        },
      );
    };
  }

  /** Takes free slots for the waiters of `state`, one statement for all of them. */
  async function claim(state: Installation): Promise<void> {
    if (state.claiming || state.waiters.length === 0) return;
    clearTimeout(state.timer);
    state.timer = undefined;
    state.claiming = true;
    const wanted = Math.min(state.waiters.length, bound);
    let got = 0;
    try {
      if (!state.ensured) {
        await slots.ensure(db, state.key, bound);
        state.ensured = true;
      }
      const claimed = await slots.claim(db, {
        installation: state.key,
        bound,
        limit: wanted,
        worker,
        leaseMs,
        // Said waiting (when short) until a little after its next ask.
        waitMs: 3 * retryMs,
      });
      got = claimed.slots.length;
      if (claimed.takenOver.length > 0) {
        logger.warn(
          { installation: state.key, from: claimed.takenOver, worker },
          'forwarding: took over installation slots whose lease ran out',
        );
      }
      for (const slot of claimed.slots) {
        state.held += 1;
        heldInAll += 1;
        const release = releaser(state, slot);
        const waiter = state.waiters.shift();
        if (waiter) waiter.give(release);
        else release(); // its call gave up waiting meanwhile
      }
    } catch (err) {
      logger.error({ err, installation: state.key }, 'forwarding: claiming an installation slot failed');
    } finally {
      state.claiming = false;
    }
    // All that was asked for was free: more may be (for waiters that came meanwhile); otherwise wait.
    if (got === wanted && state.waiters.length > 0) void claim(state);
    else askLater(state);
  }

  return {
    acquire(installation, signal) {
      if (signal.aborted) return Promise.reject(new SlotWaitStopped());
      renewing();
      const state = stateOf(installation);
      return new Promise<ReleaseSlot>((resolve, reject) => {
        const onAbort = () => {
          const at = state.waiters.indexOf(waiter);
          if (at >= 0) state.waiters.splice(at, 1);
          reject(new SlotWaitStopped());
        };
        const waiter: Waiter = {
          give: (release) => {
            signal.removeEventListener('abort', onAbort);
            resolve(release);
          },
        };
        signal.addEventListener('abort', onAbort, { once: true });
        state.waiters.push(waiter);
        void claim(state);
      });
    },

    async close() {
      clearInterval(renewal);
      renewal = undefined;
      for (const state of installations.values()) {
        clearTimeout(state.timer);
        state.timer = undefined;
      }
      // The calls have ended and given their slots back; this frees any whose release failed.
      const freed = await slots.releaseAll(db, worker);
      if (freed > 0) logger.warn({ worker, slots: freed }, 'forwarding: installation slots freed at stop');
      installations.clear();
      heldInAll = 0;
    },
  };
}
