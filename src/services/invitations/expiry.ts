import type { Actor, Invitation } from '../../domain/model.js';
import { records } from '../../ports/paging.js';
import type { ServiceDeps } from '../deps.js';

const SYSTEM: Actor = { kind: 'system', label: 'invitation expiry' };

/** Stored-pending and past its expiry at `now`: what the sweep marks expired. */
function due(inv: Invitation, now: Date): boolean {
  return inv.status === 'pending' && Date.parse(inv.expiresAt) <= now.getTime();
}

/**
 * Marks every stored-pending invitation past its expiry as expired (audit `invitation.expired`),
 * in every org. Returns how many this call changed.
 *
 * Expiring an invitation takes it out of the `pending` filter the sweep reads by, so changing
 * records while walking that filter by offset would skip as many as were changed before each
 * page. The ids due in one org are therefore collected first and changed afterwards; the update is
 * a compare-and-swap that re-checks the record, so a concurrent resend or accept wins.
 */
export async function expireDueInvitations(deps: ServiceDeps, now: Date): Promise<number> {
  const at = now.toISOString();
  let count = 0;
  for await (const org of records((page) => deps.store.listOrgs(page))) {
    const dueIds: string[] = [];
    for await (const inv of records((page) => deps.store.listInvitations(org.id, { ...page, statuses: ['pending'] }))) {
      if (due(inv, now)) dueIds.push(inv.id);
    }
    for (const id of dueIds) {
      const { changed } = await deps.store.updateInvitation(org.id, id, (cur) =>
        !due(cur, now)
          ? null
          : {
              next: { ...cur, status: 'expired', endReason: 'expired', updatedAt: at },
              audit: { orgId: org.id, actor: SYSTEM, action: 'invitation.expired', target: { type: 'invitation', id: cur.id }, before: { status: 'pending' }, after: { status: 'expired', expiresAt: cur.expiresAt } },
            },
      );
      if (changed) count += 1;
    }
  }
  return count;
}
