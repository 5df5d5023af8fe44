import { IdsyncError } from '../../domain/errors.js';
import { ROLES, type Member, type Role } from '../../domain/model.js';
import type { Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import type { MemberService } from '../members.js';
import { moveMember } from '../move-member.js';
import type { Actor } from '../../domain/model.js';
import type { MergeReport } from './report.js';
import { openOrg } from './sides.js';

export interface MovePersonResult {
  /** The person's membership in the target. */
  member: Member;
  /** `closed`: the source had nobody else and was merged into the target (closed, answering `org.merged`); `kept`: others remain there. */
  source: { orgId: string; outcome: 'closed' | 'kept' };
  /** The merge that closed the source (when it did). */
  merge?: MergeReport;
}

/**
 * "Signed up by mistake": moves the person who created an organization in error into the one they
 * meant, with the given role (default member). When nobody else is in the source, the source is
 * merged into the target (anything they set up there moves too, and the source is closed: its
 * tokens and links stop working, reading it answers where it went); otherwise only the person moves,
 * as `members move` does (the last owner of an org others remain in is refused). Provider admins only.
 */
export async function movePerson(deps: ServiceDeps, members: MemberService, mergeInto: (sourceOrgId: string, targetOrgId: string, actor: Actor, roles: Record<string, Role>) => Promise<MergeReport>, p: Principal, memberId: string, toOrg: string, opts: { role?: Role; fromOrg?: string } = {}): Promise<MovePersonResult> {
  if (p.kind !== 'provider') throw new IdsyncError('auth.forbidden', 'moving a person to another organization needs a provider-wide admin key');
  const person = opts.fromOrg ? await members.get(opts.fromOrg, memberId) : await findMember(deps, memberId);
  if (person.status === 'removed') throw new IdsyncError('member.removed', `member ${memberId} was removed`, { memberId });
  const fromOrg = person.orgId;
  await openOrg(deps, toOrg);
  const role = opts.role ?? 'member';
  if (!ROLES.includes(role)) throw new IdsyncError('request.invalid', `unknown role ${String(role)}`, { problems: [{ field: 'role', message: 'expected owner, admin or member' }] });
  const others = await deps.store.listMembers(fromOrg, { statuses: ['active', 'inactive'], limit: 2 });
  if (others.items.some((m) => m.id !== memberId)) {
    const { member } = await moveMember(deps, members, p, fromOrg, memberId, toOrg, role);
    return { member, source: { orgId: fromOrg, outcome: 'kept' } };
  }
  const merge = await mergeInto(fromOrg, toOrg, p.actor, { [memberId]: role });
  const step = merge.plan.members.find((m) => m.sourceMemberId === memberId);
  const id = step?.kind === 'copy' ? step.newMemberId : step?.targetMemberId;
  const member = id ? await deps.store.getMember(toOrg, id) : undefined;
  if (!member) throw new IdsyncError('internal', `member ${memberId} was not found in ${toOrg} after the merge`, { memberId, toOrg });
  return { member, source: { orgId: fromOrg, outcome: 'closed' }, merge };
}

/** A member by id alone: the store's member-id index names its org (a candidate, checked by the read). */
async function findMember(deps: ServiceDeps, id: string): Promise<Member> {
  for (const orgId of await deps.store.findOrgIdsByMemberId(id)) {
    const m = await deps.store.getMember(orgId, id);
    if (m) return m;
  }
  throw new IdsyncError('member.not_found', `member ${id} not found in any organization`, { memberId: id });
}
