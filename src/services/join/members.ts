import { memberFromJoin } from '../../domain/member-rules.js';
import type { Actor, Identity, Member, Organization, Role } from '../../domain/model.js';
import { isIdsyncError } from '../../domain/errors.js';
import type { ServiceDeps } from '../deps.js';
import { assertTeamWritable } from '../teams.js';
import type { MemberWriter } from '../members/writer.js';

/** What a sign-in proved about a person (the join flow supplies it after OIDC / OAuth). */
export interface VerifiedIdentity {
  provider: Identity['provider'];
  /** Immutable subject at the provider (OIDC `sub`, Entra `oid`, GitHub user id). */
  subject: string;
  email: string;
  emailVerified: boolean;
}

/** What sign-in proved, plus the id a directory lists the person under (Entra: `oid`). */
export interface JoinSignIn extends VerifiedIdentity {
  directoryId: string;
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

export interface Admission {
  /** The member found for the identity beforehand, if any: it gets the identity linked. */
  existing: Member | undefined;
  /** The id a new member gets (an invitation records it before the member exists). */
  memberId: string;
  email: string;
  givenName?: string | undefined;
  familyName?: string | undefined;
  role: Role;
  identity: VerifiedIdentity;
}

/**
 * Lets the person in: links the identity to the member they already are (status unchanged), or
 * creates an invite-managed member with it, in one write either way.
 */
export async function admit(writer: MemberWriter, org: Organization, a: Admission): Promise<Member> {
  const actor = identityActor(a.identity);
  const identity = { provider: a.identity.provider, subject: a.identity.subject, email: a.identity.email };
  if (a.existing) return writer.linkIdentity(org.id, a.existing.id, identity, { actor, source: 'join' }, { kind: 'invite' });
  const member = memberFromJoin(writer.birth(org.id, a.memberId), org, { email: a.email, givenName: a.givenName, familyName: a.familyName, role: a.role, identity });
  return writer.create(member, { actor, source: 'join' });
}

/**
 * Adds the member to the teams that still exist and that anyone may still fill. Skipped: a team
 * deleted since the invitation (or link) was made, and a team a directory connection has come to
 * keep since (only its runs fill it; the invitation was checked when it was made, the team was
 * not kept then). Joining the org goes ahead either way; a skipped kept team is logged.
 */
export async function joinTeams(deps: ServiceDeps, orgId: string, memberId: string, teamIds: string[], actor: Actor): Promise<string[]> {
  const joined: string[] = [];
  for (const teamId of teamIds) {
    const team = await deps.store.getTeam(orgId, teamId);
    if (!team) continue;
    try {
      await assertTeamWritable(deps, team, actor);
    } catch (err) {
      if (!isIdsyncError(err, 'team.managed_elsewhere')) throw err;
      deps.logger.info('joined without a team a directory connection now keeps; its runs decide who is in it', { orgId, memberId, teamId, connectionId: team.directoryGroup?.connectionId });
      continue;
    }
    await deps.store.addTeamMembers(orgId, teamId, [memberId], { orgId, actor, action: 'team.members_added', target: { type: 'team', id: teamId }, after: { added: [memberId] }, reason: 'joined by invitation' });
    joined.push(teamId);
  }
  return joined;
}
