import { randomUUID } from 'node:crypto';
import { IdsyncError } from '../domain/errors.js';
import { isActiveOwner, lastOwnerError } from '../domain/invariants.js';
import type { Member, Role } from '../domain/model.js';
import { rankOf, type Principal } from './authz.js';
import type { ServiceDeps } from './deps.js';
import { memberSummary, type MemberService } from './members.js';

export interface MoveResult {
  /** The new member in the target organization. */
  member: Member;
  /** The source member, now removed with reason `moved to ORG`. */
  removed: Member;
}

/**
 * Moves a member's account to another organization (provider admins only): a member is created in
 * the target org with the same profile (userName, name, emails, identities; role `member` unless
 * given), then the source member is removed with the reason `moved to ORG`. The last active owner
 * of the source is refused up front, a userName taken in the target answers 409, and if removing
 * the source fails anyway the new member is removed again.
 */
export async function moveMember(deps: ServiceDeps, members: MemberService, p: Principal, fromOrg: string, id: string, toOrg: string, role: Role = 'member'): Promise<MoveResult> {
  assertProvider(p, fromOrg);
  const source = await members.get(fromOrg, id);
  if (isActiveOwner(source)) {
    const owners = await deps.store.listMembers(fromOrg, { roles: ['owner'], statuses: ['active'], limit: 2 });
    if (owners.total <= 1) throw lastOwnerError(source);
  }
  const moved = await addMemberToOrg(deps, members, p, fromOrg, id, toOrg, role, `moved from ${fromOrg}`);
  try {
    const removed = await members.remove(fromOrg, id, p.actor, `moved to ${toOrg}`);
    return { member: moved, removed };
  } catch (err) {
    await members.remove(toOrg, moved.id, p.actor, `move from ${fromOrg} failed`).catch((undo: unknown) => deps.logger.error('could not undo a failed move', { memberId: moved.id, orgId: toOrg, error: String(undo) }));
    throw err;
  }
}

/**
 * Adds an existing member's account to another organization: same userName, name, emails and
 * upstream identities (an identity another live member of the target has stays behind), the
 * given role. The source membership is untouched. Provider-wide keys only.
 */
export async function addMemberToOrg(deps: ServiceDeps, members: MemberService, p: Principal, fromOrg: string, id: string, toOrg: string, role: Role = 'member', reason = `added from ${fromOrg}`): Promise<Member> {
  assertProvider(p, fromOrg);
  if (toOrg === fromOrg) throw new IdsyncError('request.invalid', 'the target organization is the source organization', { problems: [{ field: 'toOrg', message: 'same as the source' }] });
  const source = await members.get(fromOrg, id);
  if (source.status === 'removed') throw new IdsyncError('member.removed', `member ${id} was removed`, { memberId: id });
  const target = await deps.store.getOrg(toOrg);
  if (!target) throw new IdsyncError('org.not_found', `organization ${toOrg} not found`, { orgId: toOrg });
  const primary = source.emails.find((e) => e.primary)?.value ?? source.emails[0]?.value;
  const allowed = target.settings.allowedDomains;
  const domain = primary?.slice(primary.lastIndexOf('@') + 1).toLowerCase();
  if (domain && allowed.length > 0 && !allowed.includes(domain)) {
    throw new IdsyncError('member.domain_not_allowed', `${domain} is not an allowed email domain of organization ${toOrg}`, { domain, allowed });
  }
  if (await deps.store.findMemberByUserName(toOrg, source.userName)) {
    throw new IdsyncError('member.user_name_taken', `userName ${source.userName} is taken in organization ${toOrg}`, { userName: source.userName, orgId: toOrg });
  }
  // An identity another live member of the target already has stays behind (it cannot be shared).
  const identities = [];
  for (const i of source.identities) if (!(await deps.store.findMemberByIdentity(toOrg, i.provider, i.subject))) identities.push({ ...i });
  const at = deps.clock.now().toISOString();
  const moved: Member = {
    id: randomUUID(),
    orgId: toOrg,
    userName: source.userName,
    name: { ...source.name },
    ...(source.displayName ? { displayName: source.displayName } : {}),
    emails: source.emails.map((e) => ({ ...e })),
    role,
    status: 'active',
    managedBy: { kind: 'admin' },
    identities,
    attributes: {},
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await deps.store.createMember(moved, { orgId: toOrg, actor: p.actor, action: 'member.created', target: { type: 'member', id: moved.id }, after: { ...memberSummary(moved), copiedFrom: { orgId: fromOrg, memberId: id } }, reason });
  return moved;
}

/** Another org's key gets 404 (as everywhere); an org-scoped key of this org gets 403. */
function assertProvider(p: Principal, fromOrg: string): void {
  rankOf(p, fromOrg);
  if (p.kind !== 'provider') throw new IdsyncError('auth.forbidden', "adding or moving a member's account to another organization needs a provider-wide admin key");
}
