/**
 * Runs `work` for every item, at most `limit` at a time; results in the items' order.
 *
 * The same as `mapLimited` in backend-kubernetes/src/labs/concurrency.ts, which that package does
 * not export (its labs/index.ts leaves concurrency.ts out); kept here rather than widening that
 * package's public surface from this one.
 */
export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
