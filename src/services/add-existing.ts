import { IdsyncError } from '../domain/errors.js';
import { assertDomainsAllowed, memberCopy, orgDomains } from '../domain/member-rules.js';
import type { Member, Organization, Role } from '../domain/model.js';
import { assertCanAssignRole, type Principal } from './authz.js';
import type { ServiceDeps } from './deps.js';
import { MemberWriter } from './members/writer.js';
import type { TeamService } from './teams.js';

export interface AddExistingInput {
  role?: Role;
  teamIds?: string[];
  /** The audit reason; default `added from ORG_NAME (ORG_ID)`. */
  reason?: string;
}

/** Why an account may not be added to another organization. */
export type NotAddable = 'service_account' | 'removed' | 'inactive';

/**
 * Why an account may not be added to another organization, or undefined when it may: only an
 * active person is. An inactive or removed member lost access in its own organization, and adding
 * them elsewhere must not undo that offboarding; a service account belongs to its organization's
 * integrations, never to a person.
 */
export function notAddable(source: Member): NotAddable | undefined {
  if ((source.kind ?? 'person') === 'service') return 'service_account';
  if (source.status === 'removed') return 'removed';
  if (source.status !== 'active') return 'inactive';
  return undefined;
}

function notAddableMessage(why: NotAddable, source: Member, from: Organization): string {
  if (why === 'service_account') return `${source.userName} is a service account of ${from.name}; service accounts stay in their organization`;
  if (why === 'removed') return `${source.userName} was removed from ${from.name}`;
  return `${source.userName} is ${source.status} in ${from.name}; only an active member can be added elsewhere`;
}

/**
 * The target's live member that is already this person, or undefined: one with any of the
 * source's sign-in identities, or with one of its email addresses.
 */
export async function existingMemberOf(deps: ServiceDeps, toOrg: string, source: Member): Promise<Member | undefined> {
  const live = (m: Member | undefined) => (m && m.status !== 'removed' ? m : undefined);
  for (const i of source.identities) {
    const m = live(await deps.store.findMemberByIdentity(toOrg, i.provider, i.subject));
    if (m) return m;
  }
  for (const e of source.emails) {
    const m = (await deps.store.findMembersByEmail(toOrg, e.value)).find((x) => x.status !== 'removed');
    if (m) return m;
  }
  return undefined;
}

/**
 * Adds an existing account (a member of `from`) to `toOrg` as a new member: the same userName,
 * name, emails and sign-in identities, so the person signs in there at once; the role and teams
 * given; admin-managed; created by the one member writer and audited with the principal as actor
 * and a reason naming the source organization. The source membership is untouched.
 *
 * Whether the principal may draw on `from` is the caller's rule (the admin API: provider-wide keys;
 * the console: ConsoleAddExisting); this checks the target side: the principal may hand out the
 * role there, and the person is not already a member there.
 */
export async function addExistingAccount(deps: ServiceDeps, teams: TeamService, p: Principal, from: Organization, sourceId: string, toOrg: string, input: AddExistingInput = {}): Promise<Member> {
  const role = input.role ?? 'member';
  assertCanAssignRole(p, toOrg, role);
  if (toOrg === from.id) throw new IdsyncError('request.invalid', 'the person is already in this organization: choose another organization to add from', { problems: [{ field: 'fromOrg', message: 'same as the target' }] });
  const source = await deps.store.getMember(from.id, sourceId);
  if (!source) throw new IdsyncError('member.not_found', `member ${sourceId} not found`, { memberId: sourceId });
  const why = notAddable(source);
  if (why) throw new IdsyncError(why === 'removed' ? 'member.removed' : 'member.not_addable', notAddableMessage(why, source, from), { memberId: sourceId, orgId: from.id });
  const target = await deps.store.getOrg(toOrg);
  if (!target) throw new IdsyncError('org.not_found', `organization ${toOrg} not found`, { orgId: toOrg });
  // The domain rule first: a refused domain is the answer even when the person is not a member yet.
  const primary = source.emails.find((e) => e.primary)?.value ?? source.emails[0]?.value;
  if (primary) assertDomainsAllowed(orgDomains(target), [primary]);
  const already = await existingMemberOf(deps, toOrg, source);
  if (already) throw new IdsyncError('member.already_member', `${source.userName} is already a member of ${target.name} (member ${already.id}, ${already.status})`, { memberId: already.id, orgId: toOrg });
  if (await deps.store.findMemberByUserName(toOrg, source.userName)) {
    throw new IdsyncError('member.user_name_taken', `userName ${source.userName} is taken in ${target.name}`, { userName: source.userName, orgId: toOrg });
  }
  const teamIds = [...new Set(input.teamIds ?? [])];
  for (const t of teamIds) await teams.writable(toOrg, t, p.actor);
  const writer = new MemberWriter(deps);
  const copy = memberCopy(writer.birth(toOrg), target, source, role, source.identities);
  const m = await writer.create(copy, { actor: p.actor, ...(p.source ? { source: p.source } : {}), reason: input.reason ?? `added from ${from.name} (${from.id})` }, { copiedFrom: { orgId: from.id, memberId: source.id } });
  for (const t of teamIds) await teams.addMembers(toOrg, t, [m.id], p.actor);
  return m;
}
