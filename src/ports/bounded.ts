/**
 * Maps `items` through `fn` with at most `limit` calls in flight, keeping the order of `items`.
 * For fan-outs of store reads: a thousand parallel reads would queue on a PostgreSQL pool of ten
 * (each waiting out the pool's acquire timeout) and starve every other request while they drain.
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Store reads one request keeps in flight at once: enough to keep a store busy, few enough to leave its pool to other requests. */
export const STORE_READS_IN_FLIGHT = 8;
