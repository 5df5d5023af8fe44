import { deletingError } from '../org-deletion/service.js';
import { randomUUID } from 'node:crypto';
import { IdsyncError } from '../../domain/errors.js';
import { assertDomainsAllowed, linkDomains, orgDomains } from '../../domain/member-rules.js';
import type { Invitation, InviteLink, Member, Organization, Role } from '../../domain/model.js';
import type { ConnectionService } from '../connections/service.js';
import type { ServiceDeps } from '../deps.js';
import { displayStatus, type InvitationService } from '../invitations/service.js';
import { linkState, type LinkService } from '../invitations/links.js';
import { hashToken, INVITATION_TOKEN_PREFIX, LINK_TOKEN_PREFIX, sameHash } from '../invitations/tokens.js';
import { MemberWriter } from '../members/writer.js';
import { assertInDirectory } from './directory-gate.js';
import { admit, findJoiningMember, identityActor, joinTeams, type JoinSignIn, type VerifiedIdentity } from './members.js';

export type { JoinSignIn, VerifiedIdentity } from './members.js';

/** What a join token opens. */
export type JoinTarget = { kind: 'invitation'; inv: Invitation; org: Organization } | { kind: 'link'; link: InviteLink; org: Organization };

/** What the landing page shows about a token, before anyone signs in. */
export interface JoinLanding {
  kind: JoinTarget['kind'];
  orgName: string;
  role: Role;
  /** Who invited (label, id, or undefined for an admin without either); invitations only. */
  invitedBy?: string;
  invitedEmail?: string;
  teamNames: string[];
  expiresAt?: string;
  /** Domains a link is limited to (empty: any). */
  allowedDomains: string[];
}

/**
 * The join flows: a personal invitation or an open invite link, used with a signed-in identity.
 * The HTTP layer renders pages and calls this; refusals are coded IdsyncErrors (invite.*, link.*,
 * member.*, join.*) the pages map to what the person reads.
 */
export class JoinService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly invitations: InvitationService,
    private readonly links: LinkService,
    private readonly connections: ConnectionService,
    private readonly writer: MemberWriter = new MemberWriter(deps),
  ) {}

  /** Finds what a join token opens, without consuming anything; refuses what can no longer be used. */
  async lookup(token: string): Promise<JoinTarget> {
    const hash = hashToken(token);
    if (token.startsWith(INVITATION_TOKEN_PREFIX)) {
      const inv = await this.deps.store.findInvitationByTokenHash(hash);
      const org = inv && sameHash(inv.tokenHash, hash) ? await this.deps.store.getOrg(inv.orgId) : undefined;
      if (!inv || !org) throw new IdsyncError('invite.not_found', 'no invitation has this link (it may have been resent with a new one)');
      if (org.state === 'deleting') throw deletingError(org);
      const status = displayStatus(inv, this.deps.clock.now());
      if (status === 'accepted') throw new IdsyncError('invite.used', `invitation ${inv.id} was already accepted`, { invitationId: inv.id });
      if (status !== 'pending') throw new IdsyncError(`invite.${status}`, `invitation ${inv.id} is ${status}`, { invitationId: inv.id });
      return { kind: 'invitation', inv, org };
    }
    if (token.startsWith(LINK_TOKEN_PREFIX)) {
      const link = await this.deps.store.findInviteLinkByTokenHash(hash);
      const org = link && sameHash(link.tokenHash, hash) ? await this.deps.store.getOrg(link.orgId) : undefined;
      if (!link || !org) throw new IdsyncError('link.not_found', 'no invite link has this URL (it may have been rotated)');
      if (org.state === 'deleting') throw deletingError(org);
      const state = linkState(link, this.deps.clock.now());
      if (state !== 'active') throw new IdsyncError(`link.${state}`, `invite link ${link.id} is ${state.replace('_', ' ')}`, { linkId: link.id });
      return { kind: 'link', link, org };
    }
    throw new IdsyncError('invite.not_found', 'this is not an invitation or invite link token');
  }

  async landing(token: string): Promise<JoinLanding> {
    const found = await this.lookup(token);
    if (found.kind === 'invitation') {
      const { inv } = found;
      const by = inv.invitedBy.label ?? inv.invitedBy.id;
      return { kind: 'invitation', orgName: found.org.name, role: inv.role, ...(by ? { invitedBy: by } : {}), invitedEmail: inv.email, teamNames: await this.teamNames(found.org.id, inv.teamIds), expiresAt: inv.expiresAt, allowedDomains: [] };
    }
    const { link } = found;
    return {
      kind: 'link',
      orgName: found.org.name,
      role: link.role,
      teamNames: await this.teamNames(found.org.id, link.teamId ? [link.teamId] : []),
      ...(link.expiresAt ? { expiresAt: link.expiresAt } : {}),
      allowedDomains: link.allowedDomains,
    };
  }

  /** Accepts the invitation or uses the link with the signed-in identity; returns the member. */
  async complete(token: string, who: JoinSignIn): Promise<{ member: Member; org: Organization }> {
    return this.completeTarget(await this.lookup(token), who);
  }

  /** Completes a join target already looked up (by token, or by the sign-up page for the person's email). */
  async completeTarget(found: JoinTarget, who: JoinSignIn): Promise<{ member: Member; org: Organization }> {
    const identity: VerifiedIdentity = { provider: who.provider, subject: who.subject, email: who.email, emailVerified: who.emailVerified };
    if (found.kind === 'invitation') {
      return { member: await this.invitations.acceptFound(found.inv, identity), org: found.org };
    }
    const { link, org } = found;
    if (!who.emailVerified) throw new IdsyncError('join.email_unverified', `the ${who.provider} account's email address is not verified`, { provider: who.provider });
    assertDomainsAllowed(linkDomains(link), [who.email]);
    assertDomainsAllowed(orgDomains(org), [who.email]);
    if (link.directoryConnectionId) await assertInDirectory(this.deps, this.connections, link.directoryConnectionId, who);
    const existing = await findJoiningMember(this.deps, org.id, identity);
    const actor = identityActor(identity);
    // The use is consumed first (atomic: of racing last uses, one wins), then the member is written;
    // when that write is refused, the use is given back so the link stays usable.
    await this.links.useFound(link, who.email, actor);
    let member: Member;
    try {
      member = await admit(this.writer, org, { existing, memberId: randomUUID(), email: who.email, role: link.role, identity });
    } catch (err) {
      await this.giveBack(link, actor, err);
      throw err;
    }
    if (link.teamId) await joinTeams(this.deps, org.id, member.id, [link.teamId], actor);
    return { member, org };
  }

  private async giveBack(link: InviteLink, actor: ReturnType<typeof identityActor>, cause: unknown): Promise<void> {
    const code = cause instanceof IdsyncError ? cause.code : 'internal';
    try {
      await this.links.giveBack(link.orgId, link.id, actor, `join failed: ${code}`);
    } catch (err) {
      this.deps.logger.error('could not give back an invite link use after a failed join', { linkId: link.id, orgId: link.orgId, error: String(err) });
    }
  }

  private async teamNames(orgId: string, ids: string[]): Promise<string[]> {
    const names: string[] = [];
    for (const id of ids) {
      const t = await this.deps.store.getTeam(orgId, id);
      if (t) names.push(t.displayName);
    }
    return names;
  }
}
