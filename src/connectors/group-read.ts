/** What the three group readers share: the never-throw contract of a GroupRead, and its API call count. */
import type { ConnectorCounters, GroupRead } from '../ports/directory.js';
import type { Logger } from '../ports/logger.js';
import { toListingError } from './http/errors.js';

type Read = GroupRead extends infer R ? (R extends { complete: true } ? Omit<R, 'apiCalls'> : never) : never;

/**
 * Runs a group reader. Any failure (after the client's retries) becomes `complete: false` with the
 * coded error: a read that did not reach its last page must never look like empty groups.
 */
export async function guardedGroupRead(counters: () => ConnectorCounters, logger: Logger, mode: 'full' | 'delta', read: () => Promise<Read>): Promise<GroupRead> {
  const before = counters().apiCalls;
  const calls = () => counters().apiCalls - before;
  try {
    const r = await read();
    return { ...r, apiCalls: calls() } as GroupRead;
  } catch (err) {
    const error = toListingError(err);
    logger.warn('directory group read incomplete', { code: error.code, reason: error.message });
    return { complete: false, mode, error, apiCalls: calls() };
  }
}

/** Member ids in first-seen order, without duplicates (derived memberships repeat users). */
export function uniqueIds(ids: Iterable<string>): string[] {
  return [...new Set(ids)];
}
