/** Calls in flight per Cognigy installation, in this process (FORWARDING_PER_API_BASE). */
/** A counting semaphore per key. */
export function keyedLimiter(limit: number) {
  const active = new Map<string, number>();
  const waiting = new Map<string, Array<() => void>>();
  return {
    async acquire(key: string): Promise<() => void> {
      if ((active.get(key) ?? 0) >= limit) {
        await new Promise<void>((resolve) => {
          const queue = waiting.get(key) ?? [];
          queue.push(resolve);
          waiting.set(key, queue);
        });
      }
      active.set(key, (active.get(key) ?? 0) + 1);
      return () => {
        active.set(key, (active.get(key) ?? 1) - 1);
        const next = waiting.get(key)?.shift();
        if (next) next();
        else if ((active.get(key) ?? 0) === 0) active.delete(key);
      };
    },
  };
}
