import { IdsyncError } from '../../domain/errors.js';
import type { MemberBatchItem } from '../../ports/store.js';

/** updateMembers takes each member once: a second item for one id is a programming error, refused before anything is read. */
export function assertDistinctIds(items: readonly MemberBatchItem[]): void {
  const seen = new Set<string>();
  for (const { id } of items) {
    if (seen.has(id)) throw new IdsyncError('internal', `member ${id} appears twice in one batch`, { memberId: id });
    seen.add(id);
  }
}
