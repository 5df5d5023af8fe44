import { IdsyncError } from '../domain/errors.js';
import type { Actor, ChangeSource, Member, Role } from '../domain/model.js';

/**
 * Who is acting, and with what standing: provider admin > org owner > org admin > member.
 * A provider-wide admin key (and the CLI) is a provider admin. An org-scoped key acts as the org's
 * owner, or, when the host product names the signed-in person (X-Idsync-Acting-Member), with that
 * member's role. The console's sessions are org principals too (services/console/sessions.ts).
 */
export type Principal = ({ kind: 'provider'; actor: Actor } | { kind: 'org'; orgId: string; role: Role; actor: Actor }) & {
  /** Where the principal's member changes come from in the audit trail (the console says `console`); default: read from the actor. */
  source?: ChangeSource;
};

const RANK: Record<Role | 'provider', number> = { member: 1, admin: 2, owner: 3, provider: 4 };

export function rankOf(p: Principal, orgId: string): number {
  if (p.kind === 'provider') return RANK.provider;
  if (p.orgId !== orgId) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  return RANK[p.role];
}

function forbid(message: string): never {
  throw new IdsyncError('auth.forbidden', message);
}

/** Reading the org (members, teams): every member may. */
export function assertCanRead(p: Principal, orgId: string): void {
  rankOf(p, orgId);
}

/** Managing members, teams, invitations and links: org admins and above. */
export function assertCanManage(p: Principal, orgId: string): void {
  if (rankOf(p, orgId) < RANK.admin) forbid('managing members needs the admin or owner role');
}

/** Credentials, webhooks and connections: org owners and above. */
export function assertCanAdminister(p: Principal, orgId: string): void {
  if (rankOf(p, orgId) < RANK.owner) forbid('this needs the owner role');
}

/** Giving or taking away a role: one may only hand out roles up to one's own, and only owners touch owners. */
export function assertCanAssignRole(p: Principal, orgId: string, role: Role): void {
  assertCanManage(p, orgId);
  if (RANK[role] > rankOf(p, orgId)) forbid(`only an owner or a provider admin can assign the ${role} role`);
}

/** Changing a member's status or role: admins may change members and admins, not owners. */
export function assertCanChangeMember(p: Principal, target: Member): void {
  assertCanManage(p, target.orgId);
  if (target.role === 'owner' && rankOf(p, target.orgId) < RANK.owner) forbid('only an owner or a provider admin can change an owner');
}

export const CLI_PRINCIPAL: Principal = { kind: 'provider', actor: { kind: 'cli', label: 'idsync CLI' } };
