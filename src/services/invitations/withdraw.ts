import type { Actor } from '../../domain/model.js';
import type { ServiceDeps } from '../deps.js';

/**
 * Withdraws (status revoked, with `reason` as endReason) every stored-pending invitation of an org
 * for these emails. Depends only on the store, so the member write paths (MemberService,
 * ProvisioningService) can call it without depending on the invitation service.
 * Returns the ids withdrawn.
 */
export async function withdrawPendingInvitations(deps: ServiceDeps, orgId: string, emails: string[], reason: string, actor: Actor): Promise<string[]> {
  const withdrawn: string[] = [];
  const seen = new Set<string>();
  for (const email of emails) {
    for (const inv of await deps.store.listPendingInvitationsForEmail(orgId, email)) {
      if (seen.has(inv.id)) continue;
      seen.add(inv.id);
      const at = deps.clock.now().toISOString();
      const { changed } = await deps.store.updateInvitation(orgId, inv.id, (cur) =>
        cur.status !== 'pending'
          ? null
          : {
              next: { ...cur, status: 'revoked', revokedAt: at, endReason: reason, updatedAt: at },
              audit: { orgId, actor, action: 'invitation.revoked', target: { type: 'invitation', id: cur.id }, before: { status: cur.status }, after: { status: 'revoked', email: cur.email }, reason },
            },
      );
      if (changed) withdrawn.push(inv.id);
    }
  }
  return withdrawn;
}
