/** Runs `work` over `items` with at most `limit` at a time (seeding through the API in parallel). */
export async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next;
      next += 1;
      await work(items[i] as T, i);
    }
  });
  await Promise.all(runners);
}
