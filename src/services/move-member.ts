import { IdsyncError } from '../domain/errors.js';
import { isActiveOwner, lastOwnerError } from '../domain/invariants.js';
import { assertDomainsAllowed, memberCopy, orgDomains } from '../domain/member-rules.js';
import type { Member, Role } from '../domain/model.js';
import { rankOf, type Principal } from './authz.js';
import type { ServiceDeps } from './deps.js';
import type { MemberService } from './members.js';
import { MemberWriter } from './members/writer.js';

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
 * The arriving half of a move: the member's account in another organization, with the same
 * userName, name, emails and upstream identities (an identity another live member of the target
 * has stays behind) and the given role. Provider-wide keys only. (Adding an account to another
 * organization while it stays here is add-existing.ts, with its stricter rules.)
 */
export async function addMemberToOrg(deps: ServiceDeps, members: MemberService, p: Principal, fromOrg: string, id: string, toOrg: string, role: Role = 'member', reason = `added from ${fromOrg}`): Promise<Member> {
  assertProvider(p, fromOrg);
  if (toOrg === fromOrg) throw new IdsyncError('request.invalid', 'the target organization is the source organization', { problems: [{ field: 'toOrg', message: 'same as the source' }] });
  const source = await members.get(fromOrg, id);
  if (source.status === 'removed') throw new IdsyncError('member.removed', `member ${id} was removed`, { memberId: id });
  const target = await deps.store.getOrg(toOrg);
  if (!target) throw new IdsyncError('org.not_found', `organization ${toOrg} not found`, { orgId: toOrg });
  // The domain rule before the userName probe: a refused domain is the answer even when the name is free.
  const primary = source.emails.find((e) => e.primary)?.value ?? source.emails[0]?.value;
  if (primary) assertDomainsAllowed(orgDomains(target), [primary]);
  if (await deps.store.findMemberByUserName(toOrg, source.userName)) {
    throw new IdsyncError('member.user_name_taken', `userName ${source.userName} is taken in organization ${toOrg}`, { userName: source.userName, orgId: toOrg });
  }
  // An identity another live member of the target already has stays behind (it cannot be shared).
  const identities = [];
  for (const i of source.identities) if (!(await deps.store.findMemberByIdentity(toOrg, i.provider, i.subject))) identities.push(i);
  const writer = new MemberWriter(deps);
  const moved = memberCopy(writer.birth(toOrg), target, source, role, identities);
  return writer.create(moved, { actor: p.actor, reason }, { copiedFrom: { orgId: fromOrg, memberId: id } });
}

/** Another org's key gets 404 (as everywhere); an org-scoped key of this org gets 403. */
function assertProvider(p: Principal, fromOrg: string): void {
  rankOf(p, fromOrg);
  if (p.kind !== 'provider') throw new IdsyncError('auth.forbidden', "adding or moving a member's account to another organization needs a provider-wide admin key");
}
