/**
 * Coalesced calls: calls made in the same tick, or while the previous batch is still running, go
 * together into the next batch, so that under load one statement serves many callers (the jobs that
 * finish together are marked done at once; the webhook worker loads and records its deliveries in
 * batches), and a lone call waits no longer than one turn of the event loop.
 */

/**
 * @param run answers a batch of keys with one result per key, in order; a throw fails the whole batch
 * @param max the largest batch (the rest waits for the next)
 */
export function coalesced<K, R>(
  run: (keys: readonly K[]) => Promise<readonly R[]>,
  max = 500,
): (key: K) => Promise<R> {
  let waiting: Array<{ key: K; resolve: (result: R) => void; reject: (error: unknown) => void }> = [];
  let draining = false;

  async function drain(): Promise<void> {
    try {
      while (waiting.length > 0) {
        const batch = waiting.slice(0, max);
        waiting = waiting.slice(batch.length);
        try {
          const results = await run(batch.map((b) => b.key));
          batch.forEach((b, i) => {
            b.resolve(results[i] as R);
          });
        } catch (error) {
          for (const b of batch) b.reject(error);
        }
      }
    } finally {
      draining = false;
    }
  }

  return (key) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (draining) return;
      draining = true;
      setImmediate(() => void drain());
    });
}
