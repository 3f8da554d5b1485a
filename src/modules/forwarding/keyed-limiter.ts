/**
 * The bound per Cognigy installation of one process only (FORWARDING_PER_API_BASE_SHARED=false): a
 * counting semaphore per installation, in memory. Every process on the database has its own, so
 * together they may call one installation N times as hard; the shared bound (installation-slots.ts)
 * is the default.
 */
import { type InstallationBound, SlotWaitStopped } from './installation-bound.js';

export function keyedLimiter(limit: number): InstallationBound {
  const active = new Map<string, number>();
  const waiting = new Map<string, Array<() => void>>();

  // A freed place goes to the next waiter directly (the count stays), so that no acquire made
  // meanwhile can take it as well.
  const release = (key: string) => {
    const next = waiting.get(key)?.shift();
    if (next) return next();
    active.set(key, (active.get(key) ?? 1) - 1);
    if ((active.get(key) ?? 0) === 0) active.delete(key);
  };

  return {
    async acquire(key, signal) {
      if (signal.aborted) throw new SlotWaitStopped();
      if ((active.get(key) ?? 0) < limit) active.set(key, (active.get(key) ?? 0) + 1);
      else {
        await new Promise<void>((resolve, reject) => {
          const queue = waiting.get(key) ?? [];
          const onAbort = () => {
            queue.splice(queue.indexOf(go), 1);
            reject(new SlotWaitStopped());
          };
          const go = () => {
            signal.removeEventListener('abort', onAbort);
            resolve();
          };
          queue.push(go);
          waiting.set(key, queue);
          signal.addEventListener('abort', onAbort, { once: true });
        });
      }
      let held = true;
      return () => {
        if (!held) return;
        held = false;
        release(key);
      };
    },
    close: async () => undefined,
  };
}
