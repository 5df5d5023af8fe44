import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import { emailKey } from '../../domain/keys.js';
import { assertDomainsAllowed, orgDomains } from '../../domain/member-rules.js';
import { ROLES, type Actor, type Invitation, type InvitationStatus, type Member, type Organization, type Role } from '../../domain/model.js';
import type { Mailer } from '../../ports/mailer.js';
import { collect } from '../../ports/paging.js';
import type { Page } from '../../ports/store.js';
import type { ServiceDeps } from '../deps.js';
import { parseInput } from '../validate.js';
import { expireDueInvitations } from './expiry.js';
import { admit, findJoiningMember, identityActor, joinTeams, type VerifiedIdentity } from '../join/members.js';
import { MemberWriter } from '../members/writer.js';
import { invitationMail } from './mail.js';
import { hashToken, INVITATION_TOKEN_PREFIX, InvitationTokens, joinUrl, sameHash } from './tokens.js';
import { withdrawPendingInvitations } from './withdraw.js';
import { assertTeamWritable } from '../teams.js';

const HOUR_MS = 3_600_000;
const SYSTEM: Actor = { kind: 'system', label: 'invitation expiry' };

const inviteSchema = z.object({
  email: z.string().trim().max(320).email('expected an email address'),
  givenName: z.string().trim().min(1).max(200).optional(),
  familyName: z.string().trim().min(1).max(200).optional(),
  role: z.enum(ROLES as [Role, ...Role[]]).default('member'),
  teamIds: z.array(z.string().trim().min(1).max(200)).max(100).default([]),
});
export type InviteInput = z.input<typeof inviteSchema>;

const statusSchema = z.enum(['pending', 'accepted', 'revoked', 'expired']);

/** An invitation as shown: no token hash, and the displayed status (pending past expiry reads expired). */
export type PublicInvitation = Omit<Invitation, 'tokenHash'>;

export interface InviteResult {
  invitation: PublicInvitation;
  /** The join URL with the token; shown to the inviter (the CLI prints it) and emailed. */
  link: string;
  /** False when the mail could not be handed to the mailer (the link still works; copy it). */
  mailed: boolean;
}

export interface InvitationServiceOptions {
  secretKey: Buffer;
  mailer: Mailer;
  publicUrl: string;
}

/** The displayed status at `now`: a stored-pending invitation past its expiry reads as expired. */
export function displayStatus(inv: Invitation, now: Date): InvitationStatus {
  return inv.status === 'pending' && Date.parse(inv.expiresAt) <= now.getTime() ? 'expired' : inv.status;
}

/**
 * Personal invitations: invite by email, list, resend, revoke, copy the link, accept and the expiry
 * sweep. Tokens are derived per (invitation, sendCount) from the secret key (see InvitationTokens);
 * only their SHA-256 is stored. The pending cap and the duplicate check are atomic in the store; a
 * claim on accept is a compare-and-swap, so of two racing accepts exactly one wins.
 */
export class InvitationService {
  private readonly tokens: InvitationTokens;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly opts: InvitationServiceOptions,
    private readonly writer: MemberWriter = new MemberWriter(deps),
  ) {
    this.tokens = new InvitationTokens(opts.secretKey);
  }

  async invite(orgId: string, input: InviteInput, actor: Actor): Promise<InviteResult> {
    const data = parseInput(inviteSchema, input);
    const org = await this.org(orgId);
    assertDomainsAllowed(orgDomains(org), [data.email]);
    const live = (await this.deps.store.findMembersByEmail(orgId, data.email)).filter((m) => m.status !== 'removed');
    if (live.length > 0) {
      throw new IdsyncError('invite.already_member', `${data.email} is already a member of organization ${orgId}`, { email: data.email, memberId: live[0]!.id });
    }
    const teamIds = [...new Set(data.teamIds)];
    for (const teamId of teamIds) {
      const team = await this.deps.store.getTeam(orgId, teamId);
      if (!team) throw new IdsyncError('team.not_found', `team ${teamId} not found`, { teamId });
      // Joining would put the person in a team only its directory fills.
      await assertTeamWritable(this.deps, team, actor);
    }
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const id = randomUUID();
    const { token, hash } = this.tokens.derive(id, 1);
    const inv: Invitation = {
      id,
      orgId,
      email: data.email,
      ...(data.givenName ? { givenName: data.givenName } : {}),
      ...(data.familyName ? { familyName: data.familyName } : {}),
      role: data.role,
      teamIds,
      status: 'pending',
      tokenHash: hash,
      invitedBy: actor,
      createdAt: at,
      expiresAt: new Date(now.getTime() + org.settings.inviteTtlHours * HOUR_MS).toISOString(),
      lastSentAt: at,
      sendCount: 1,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createInvitation(
      inv,
      { orgId, actor, action: 'invitation.created', target: { type: 'invitation', id }, after: summary(inv) },
      { pendingCap: org.settings.pendingInviteCap, now: at },
    );
    const link = joinUrl(this.opts.publicUrl, token);
    return { invitation: this.public(inv, now), link, mailed: await this.mail(org, inv, link) };
  }

  async get(orgId: string, id: string): Promise<PublicInvitation> {
    return this.public(await this.find(orgId, id), this.deps.clock.now());
  }

  /** Newest first, with displayed statuses; `status` filters on the displayed status. */
  async list(orgId: string, query: { status?: InvitationStatus; offset?: number; limit?: number } = {}): Promise<Page<PublicInvitation>> {
    await this.org(orgId);
    const status = query.status === undefined ? undefined : parseInput(statusSchema, query.status);
    const now = this.deps.clock.now();
    const offset = query.offset ?? 0;
    const limit = Math.min(query.limit ?? 100, 1000);
    if (status === 'accepted' || status === 'revoked' || status === undefined) {
      const page = await this.deps.store.listInvitations(orgId, { offset, limit, ...(status ? { statuses: [status] } : {}) });
      return { items: page.items.map((i) => this.public(i, now)), total: page.total };
    }
    // pending and expired depend on the clock: read the stored-pending and stored-expired ones and decide here.
    const stored: InvitationStatus[] = status === 'pending' ? ['pending'] : ['pending', 'expired'];
    const all = await collect((page) => this.deps.store.listInvitations(orgId, { ...page, statuses: stored }));
    const matching = all.filter((i) => displayStatus(i, now) === status).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return { items: matching.slice(offset, offset + limit).map((i) => this.public(i, now)), total: matching.length };
  }

  /** A new token (the old link stops working at once), the expiry restarts, the email goes out again. */
  async resend(orgId: string, id: string, actor: Actor): Promise<InviteResult> {
    const org = await this.org(orgId);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    let token = '';
    const { record } = await this.deps.store.updateInvitation(orgId, id, (cur) => {
      assertStillOpen(cur, now);
      const next: Invitation = { ...cur, sendCount: cur.sendCount + 1, lastSentAt: at, expiresAt: new Date(now.getTime() + org.settings.inviteTtlHours * HOUR_MS).toISOString(), updatedAt: at };
      const minted = this.tokens.derive(cur.id, next.sendCount);
      token = minted.token;
      next.tokenHash = minted.hash;
      return { next, audit: { orgId, actor, action: 'invitation.resent', target: { type: 'invitation', id }, before: { expiresAt: cur.expiresAt, sendCount: cur.sendCount }, after: { expiresAt: next.expiresAt, sendCount: next.sendCount } } };
    });
    const link = joinUrl(this.opts.publicUrl, token);
    return { invitation: this.public(record, now), link, mailed: await this.mail(org, record, link) };
  }

  async revoke(orgId: string, id: string, actor: Actor, reason = 'revoked by an admin'): Promise<PublicInvitation> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const { record } = await this.deps.store.updateInvitation(orgId, id, (cur) => {
      if (cur.status === 'accepted') throw used(cur);
      if (cur.status !== 'pending') return null;
      return {
        next: { ...cur, status: 'revoked', revokedAt: at, endReason: reason, updatedAt: at },
        audit: { orgId, actor, action: 'invitation.revoked', target: { type: 'invitation', id }, before: { status: cur.status }, after: { status: 'revoked', email: cur.email }, reason },
      };
    });
    return this.public(record, now);
  }

  /**
   * The invitation's current link, re-derived from the secret key: the emailed link keeps working.
   * With `rotate`, a new token is issued (the emailed link stops working; no email is sent).
   */
  async copyLink(orgId: string, id: string, actor: Actor, opts: { rotate?: boolean } = {}): Promise<{ invitation: PublicInvitation; link: string }> {
    const now = this.deps.clock.now();
    const cur = await this.find(orgId, id);
    assertStillOpen(cur, now);
    if (!opts.rotate) {
      const { token, hash } = this.tokens.derive(cur.id, cur.sendCount);
      if (!sameHash(hash, cur.tokenHash)) {
        throw new IdsyncError('request.invalid', `the link of invitation ${id} cannot be re-created (the secret key changed since it was sent); copy it with rotation, or resend it`, { invitationId: id });
      }
      return { invitation: this.public(cur, now), link: joinUrl(this.opts.publicUrl, token) };
    }
    const at = now.toISOString();
    let token = '';
    const { record } = await this.deps.store.updateInvitation(orgId, id, (c) => {
      assertStillOpen(c, now);
      const minted = this.tokens.derive(c.id, c.sendCount + 1);
      token = minted.token;
      return {
        next: { ...c, sendCount: c.sendCount + 1, tokenHash: minted.hash, updatedAt: at },
        audit: { orgId, actor, action: 'invitation.link_rotated', target: { type: 'invitation', id }, after: { sendCount: c.sendCount + 1 } },
      };
    });
    return { invitation: this.public(record, now), link: joinUrl(this.opts.publicUrl, token) };
  }

  /**
   * Accepts a personal invitation with a verified identity whose email is the invited one. The
   * claim is a compare-and-swap on the invitation's version: of two racing accepts, one wins and
   * the other gets `invite.used`. Then the member is created (invite-managed, with the role, teams
   * and identity), or, when the org already has a live member with that identity or email, the
   * identity is linked to it.
   */
  async accept(token: string, identity: VerifiedIdentity, orgId?: string): Promise<Member> {
    const hash = hashToken(token);
    const found = token.startsWith(INVITATION_TOKEN_PREFIX) ? await this.deps.store.findInvitationByTokenHash(hash) : undefined;
    if (!found || !sameHash(found.tokenHash, hash) || (orgId !== undefined && found.orgId !== orgId)) {
      throw new IdsyncError('invite.not_found', 'no invitation has this link (it may have been resent with a new one)');
    }
    return this.acceptFound(found, identity);
  }

  /**
   * Accepts an invitation already found (by its token, or by the sign-up page for the invited
   * email): the same checks and writes as accept().
   */
  async acceptFound(found: Invitation, identity: VerifiedIdentity): Promise<Member> {
    const now = this.deps.clock.now();
    assertStillOpen(found, now);
    if (!identity.emailVerified || emailKey(identity.email) !== emailKey(found.email)) {
      throw new IdsyncError('invite.wrong_email', 'this invitation is for a different email address; sign in with the invited one (a verified email is required)', { provider: identity.provider });
    }
    const org = await this.org(found.orgId);
    assertDomainsAllowed(orgDomains(org), [found.email]);
    const actor = identityActor(identity);
    const existing = await findJoiningMember(this.deps, found.orgId, identity);
    const memberId = existing?.id ?? randomUUID();
    const at = now.toISOString();
    try {
      await this.deps.store.updateInvitation(
        found.orgId,
        found.id,
        (cur) => {
          assertStillOpen(cur, now);
          return {
            next: { ...cur, status: 'accepted', acceptedAt: at, acceptedMemberId: memberId, updatedAt: at },
            audit: { orgId: found.orgId, actor, action: 'invitation.accepted', target: { type: 'invitation', id: cur.id }, before: { status: cur.status }, after: { status: 'accepted', memberId, provider: identity.provider } },
          };
        },
        { ifVersion: found.version },
      );
    } catch (err) {
      if (!isIdsyncError(err, 'version.mismatch')) throw err;
      // Someone else changed it first (another accept, a resend, a revoke): report what it is now.
      const latest = await this.deps.store.getInvitation(found.orgId, found.id);
      if (latest) assertStillOpen(latest, now);
      if (!latest || latest.tokenHash !== found.tokenHash) throw new IdsyncError('invite.not_found', 'no invitation has this link (it was resent with a new one)');
      throw new IdsyncError('invite.used', 'the invitation was changed or used by another request', { invitationId: found.id });
    }
    try {
      const member = await admit(this.writer, org, { existing, memberId, email: found.email, ...nameOf(found), role: found.role, identity });
      await joinTeams(this.deps, found.orgId, member.id, found.teamIds, actor);
      return member;
    } catch (err) {
      await this.undoClaim(found, err);
      throw err;
    }
  }

  /** Marks every stored-pending invitation past its expiry as expired, in every org (see expiry.ts). */
  async expireDue(now: Date = this.deps.clock.now()): Promise<number> {
    return expireDueInvitations(this.deps, now);
  }

  /** Withdraws the pending invitations for an email (the person was deactivated or removed). */
  async withdrawForEmail(orgId: string, email: string, reason: string, actor: Actor): Promise<string[]> {
    return withdrawPendingInvitations(this.deps, orgId, [email], reason, actor);
  }

  private async undoClaim(inv: Invitation, cause: unknown): Promise<void> {
    const code = isIdsyncError(cause) ? cause.code : 'internal';
    const at = this.deps.clock.now().toISOString();
    try {
      await this.deps.store.updateInvitation(inv.orgId, inv.id, (cur) => {
        if (cur.status !== 'accepted') return null;
        const { acceptedAt: _a, acceptedMemberId: _m, ...rest } = cur;
        return { next: { ...rest, status: 'pending', updatedAt: at }, audit: { orgId: inv.orgId, actor: SYSTEM, action: 'invitation.accept_failed', target: { type: 'invitation', id: inv.id }, after: { status: 'pending' }, reason: code } };
      });
    } catch (err) {
      this.deps.logger.error('could not reopen an invitation after a failed accept', { invitationId: inv.id, error: String(err) });
    }
  }

  private async mail(org: Organization, inv: Invitation, url: string): Promise<boolean> {
    try {
      const by = inv.invitedBy;
      const inviter = by.label ?? by.id ?? `an ${by.kind} of ${org.name}`;
      await this.opts.mailer.send(invitationMail({ to: inv.email, ...(inv.givenName ? { givenName: inv.givenName } : {}), orgName: org.name, inviter, role: inv.role, expiresAt: inv.expiresAt, url }));
      return true;
    } catch (err) {
      // Never log the URL: it carries the token.
      this.deps.logger.warn('could not send an invitation email', { orgId: org.id, invitationId: inv.id, error: err instanceof Error ? err.message : String(err) });
      return false;
    }
  }

  private public(inv: Invitation, now: Date): PublicInvitation {
    const { tokenHash: _h, ...rest } = inv;
    return { ...rest, status: displayStatus(inv, now) };
  }

  private async find(orgId: string, id: string): Promise<Invitation> {
    const inv = await this.deps.store.getInvitation(orgId, id);
    if (!inv) throw new IdsyncError('invite.not_found', `invitation ${id} not found`, { invitationId: id });
    return inv;
  }

  private async org(orgId: string): Promise<Organization> {
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return org;
  }
}

function summary(inv: Invitation) {
  return { email: inv.email, role: inv.role, teamIds: inv.teamIds, status: inv.status, expiresAt: inv.expiresAt };
}

function nameOf(inv: Invitation): { givenName?: string; familyName?: string } {
  return { ...(inv.givenName ? { givenName: inv.givenName } : {}), ...(inv.familyName ? { familyName: inv.familyName } : {}) };
}

const used = (inv: Invitation) => new IdsyncError('invite.used', `invitation ${inv.id} was already accepted`, { invitationId: inv.id });

/** Refuses an invitation that can no longer be acted on, with the coded reason. */
function assertStillOpen(inv: Invitation, now: Date): void {
  if (inv.status === 'accepted') throw used(inv);
  if (inv.status === 'revoked') throw new IdsyncError('invite.revoked', `invitation ${inv.id} was revoked`, { invitationId: inv.id, reason: inv.endReason });
  if (displayStatus(inv, now) === 'expired') throw new IdsyncError('invite.expired', `invitation ${inv.id} expired at ${inv.expiresAt}`, { invitationId: inv.id, expiresAt: inv.expiresAt });
}
