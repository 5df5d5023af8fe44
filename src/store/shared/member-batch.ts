import { IdsyncError } from '../../domain/errors.js';
import type { Member } from '../../domain/model.js';
import type { MemberBatchItem } from '../../ports/store.js';

/** updateMembers takes each member once: a second item for one id is a programming error, refused before anything is read. */
export function assertDistinctIds(items: readonly MemberBatchItem[]): void {
  const seen = new Set<string>();
  for (const { id } of items) {
    if (seen.has(id)) throw new IdsyncError('internal', `member ${id} appears twice in one batch`, { memberId: id });
    seen.add(id);
  }
}

/** Whether an update leaves the email index as it is (the same emails, in the same order). */
export function sameEmails(a: Member, b: Member): boolean {
  return JSON.stringify(a.emails.map((e) => e.value)) === JSON.stringify(b.emails.map((e) => e.value));
}

/** Whether an update leaves the identity index as it is: the same identities, and live before and after (removed members are not indexed). */
export function sameIdentities(a: Member, b: Member): boolean {
  const key = (m: Member) => JSON.stringify((m.identities ?? []).map((i) => [i.provider, i.subject]));
  return (a.status === 'removed') === (b.status === 'removed') && key(a) === key(b);
}
