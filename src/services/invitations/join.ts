import { IdsyncError } from '../../domain/errors.js';
import { assertNotRemoved } from '../../domain/invariants.js';
import { emailKey } from '../../domain/keys.js';
import type { Actor, Identity, Member, Role } from '../../domain/model.js';
import type { ServiceDeps } from '../deps.js';
import { memberSummary } from '../members.js';

/** What a sign-in proved about a person (the join flow supplies it after OIDC / OAuth). */
export interface VerifiedIdentity {
  provider: Identity['provider'];
  /** Immutable subject at the provider (OIDC `sub`, GitHub user id). */
  subject: string;
  email: string;
  emailVerified: boolean;
}

export function identityActor(identity: VerifiedIdentity): Actor {
  return { kind: 'invite', id: `${identity.provider}:${identity.subject}`, label: identity.email };
}

/** The org's live member for this identity: by linked identity first, then by email. */
export async function findJoiningMember(deps: ServiceDeps, orgId: string, identity: VerifiedIdentity): Promise<Member | undefined> {
  const linked = await deps.store.findMemberByIdentity(orgId, identity.provider, identity.subject);
  if (linked) return linked;
  const byEmail = await deps.store.findMembersByEmail(orgId, identity.email);
  return byEmail.find((m) => m.status !== 'removed');
}

/** Links the identity to an existing member (no-op when already linked). Status is not changed. */
export async function linkIdentity(deps: ServiceDeps, orgId: string, memberId: string, identity: VerifiedIdentity, actor: Actor): Promise<Member> {
  const at = deps.clock.now().toISOString();
  const { record } = await deps.store.updateMember(orgId, memberId, (cur) => {
    assertNotRemoved(cur);
    if (cur.identities.some((i) => i.provider === identity.provider && i.subject === identity.subject)) return null;
    const next: Member = { ...cur, identities: [...cur.identities, { provider: identity.provider, subject: identity.subject, email: identity.email }], updatedAt: at };
    return {
      next,
      audit: { orgId, actor, action: 'member.identity_linked', target: { type: 'member', id: memberId }, after: { provider: identity.provider, subject: identity.subject, email: identity.email } },
    };
  });
  return record;
}

/** Creates an invite-managed member with the identity linked, in one write. */
export async function createJoinedMember(
  deps: ServiceDeps,
  orgId: string,
  memberId: string,
  p: { email: string; givenName?: string; familyName?: string; role: Role; identity: VerifiedIdentity },
  actor: Actor,
): Promise<Member> {
  if (emailKey(p.email) !== emailKey(p.identity.email)) throw new IdsyncError('invite.wrong_email', 'the identity email does not match');
  const at = deps.clock.now().toISOString();
  const member: Member = {
    id: memberId,
    orgId,
    userName: p.email,
    name: { ...(p.givenName ? { givenName: p.givenName } : {}), ...(p.familyName ? { familyName: p.familyName } : {}) },
    emails: [{ value: p.email, type: 'work', primary: true }],
    role: p.role,
    status: 'active',
    managedBy: { kind: 'invite' },
    identities: [{ provider: p.identity.provider, subject: p.identity.subject, email: p.identity.email }],
    attributes: {},
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  await deps.store.createMember(member, { orgId, actor, action: 'member.created', target: { type: 'member', id: member.id }, after: memberSummary(member) });
  return member;
}

/** Adds the member to the teams that still exist (a team deleted since the invitation is skipped). */
export async function joinTeams(deps: ServiceDeps, orgId: string, memberId: string, teamIds: string[], actor: Actor): Promise<string[]> {
  const joined: string[] = [];
  for (const teamId of teamIds) {
    if (!(await deps.store.getTeam(orgId, teamId))) continue;
    await deps.store.addTeamMembers(orgId, teamId, [memberId], { orgId, actor, action: 'team.members_added', target: { type: 'team', id: teamId }, after: { added: [memberId] }, reason: 'joined by invitation' });
    joined.push(teamId);
  }
  return joined;
}

