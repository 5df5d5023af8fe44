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
 * An org whose invitations cannot be read or written is logged and skipped, so one broken org
 * cannot keep the orgs listed after it from ever being swept; it is tried again next run.
 */
export async function expireDueInvitations(deps: ServiceDeps, now: Date): Promise<number> {
  let count = 0;
  for await (const org of records((page) => deps.store.listOrgs(page))) {
    try {
      count += await expireDueInOrg(deps, org.id, now);
    } catch (err) {
      deps.logger.error('invitation expiry failed for an organization; the others are still swept', { orgId: org.id, error: err instanceof Error ? err.message : String(err) });
    }
  }
  return count;
}

/**
 * Expiring an invitation takes it out of the `pending` filter the sweep reads by, so changing
 * records while walking that filter by offset would skip as many as were changed before each
 * page. The due ids are therefore collected first and changed afterwards; each update is a
 * compare-and-swap that re-checks the record, so a concurrent resend or accept wins.
 */
async function expireDueInOrg(deps: ServiceDeps, orgId: string, now: Date): Promise<number> {
  const at = now.toISOString();
  const dueIds: string[] = [];
  for await (const inv of records((page) => deps.store.listInvitations(orgId, { ...page, statuses: ['pending'] }))) {
    if (due(inv, now)) dueIds.push(inv.id);
  }
  let count = 0;
  for (const id of dueIds) {
    const { changed } = await deps.store.updateInvitation(orgId, id, (cur) =>
      !due(cur, now)
        ? null
        : {
            next: { ...cur, status: 'expired', endReason: 'expired', updatedAt: at },
            audit: { orgId, actor: SYSTEM, action: 'invitation.expired', target: { type: 'invitation', id: cur.id }, before: { status: 'pending' }, after: { status: 'expired', expiresAt: cur.expiresAt } },
          },
    );
    if (changed) count += 1;
  }
  return count;
}
