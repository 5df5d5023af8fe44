import { randomUUID } from 'node:crypto';
import { IdsyncError } from '../../domain/errors.js';
import type { ConsoleIntent } from '../../domain/console.js';
import { emailKey } from '../../domain/keys.js';
import type { Member, Organization, Role } from '../../domain/model.js';
import { continueTarget, emailDomain, normalizeDomain, PUBLIC_MAIL_DOMAINS, type SignupMode } from '../../domain/signup.js';
import { MAX_PAGE_LIMIT, PROVIDER_SCOPE } from '../../ports/store.js';
import type { ConsoleSessionService } from '../console/sessions.js';
import { candidateOrgs } from '../cross-org.js';
import type { ServiceDeps } from '../deps.js';
import { displayStatus } from '../invitations/service.js';
import { linkState } from '../invitations/links.js';
import { admit, identityActor, type JoinSignIn } from '../join/members.js';
import type { JoinService, JoinTarget } from '../join/service.js';
import type { MemberWriter } from '../members/writer.js';
import type { OrgService } from '../orgs.js';
import type { DomainService } from './domains.js';
import type { JoinRequestService } from './join-requests.js';

/** An invitation or invite link that applies to the signed-in email. */
export interface SignupOffer {
  kind: 'invitation' | 'link';
  id: string;
  orgId: string;
  orgName: string;
  role: Role;
}

/** What the sign-up page offers a verified sign-in. */
export interface SignupChoices {
  mode: SignupMode;
  email: string;
  /** Invitations for the email, then links of its domain (the person joins one of these instead). */
  offers: SignupOffer[];
  /** The org that captured the email's domain: the person may request to join it (no new org). */
  captured?: { orgId: string; orgName: string; domain: string };
  /** A new org may be created (mode open, nothing above applies). */
  canCreate: boolean;
}

export interface SignupConfig {
  mode: SignupMode;
  /** Global continue URL (config join.continueUrl); '' none. */
  continueUrl: string;
}

/**
 * Sign-up: what a verified sign-in on /signup may do, in order of precedence: join an org that
 * invited the email (or whose invite link takes its domain) through the join service; request to
 * join the org that captured the domain; or, in `open` mode, create an org with the person as owner.
 * Invitations and links are found through the store's cross-org indexes (candidate orgs, each
 * checked with its own indexed reads), so the cost follows the matches, not the number of orgs.
 */
export class SignupService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly cfg: SignupConfig,
    private readonly join: JoinService,
    private readonly orgs: OrgService,
    private readonly domains: DomainService,
    private readonly requests: JoinRequestService,
    private readonly writer: MemberWriter,
    private readonly consoleSessions: ConsoleSessionService,
  ) {}

  get mode(): SignupMode {
    return this.cfg.mode;
  }

  async choices(who: JoinSignIn): Promise<SignupChoices> {
    this.assertOpenFor(who);
    const offers = await this.offersFor(who.email);
    const route = offers.length ? undefined : await this.domains.routeFor(who.email);
    const routed = route ? await this.deps.store.getOrg(route.orgId) : undefined;
    return {
      mode: this.cfg.mode,
      email: who.email,
      offers,
      ...(route && routed ? { captured: { orgId: routed.id, orgName: routed.name, domain: route.domain } } : {}),
      canCreate: this.cfg.mode === 'open' && offers.length === 0 && !route,
    };
  }

  /** Joins through an offered invitation or link (it must still apply to the email). */
  async acceptOffer(who: JoinSignIn, kind: SignupOffer['kind'], orgId: string, id: string): Promise<{ member: Member; org: Organization }> {
    this.assertOpenFor(who);
    const offer = (await this.offersFor(who.email)).find((o) => o.kind === kind && o.orgId === orgId && o.id === id);
    if (!offer) throw new IdsyncError(kind === 'invitation' ? 'invite.not_found' : 'link.not_found', 'this invitation or link does not apply to your address (any more)');
    const org = await this.deps.store.getOrg(orgId);
    const target: JoinTarget | undefined =
      kind === 'invitation'
        ? await this.deps.store.getInvitation(orgId, id).then((inv) => (inv && org ? { kind: 'invitation' as const, inv, org } : undefined))
        : await this.deps.store.getInviteLink(orgId, id).then((link) => (link && org ? { kind: 'link' as const, link, org } : undefined));
    if (!target) throw new IdsyncError('invite.not_found', 'the invitation or link is gone');
    return this.join.completeTarget(target, who);
  }

  /** Files a request to join the org that captured the email's domain. */
  async requestToJoin(who: JoinSignIn) {
    this.assertOpenFor(who);
    const route = await this.domains.routeFor(who.email);
    if (!route) throw new IdsyncError('domain.not_found', `no organization has captured ${emailDomain(who.email)}`, { domain: emailDomain(who.email) });
    const org = await this.orgs.get(route.orgId);
    const { request, created } = await this.requests.request(route.orgId, who);
    return { request, created, org };
  }

  /**
   * Invite-only (or nothing applies): asks the operator for access. Recorded as a provider-level
   * audit event `signup.access_requested` (`idsync audit list --provider`).
   */
  async requestAccess(who: JoinSignIn, note: string): Promise<void> {
    this.assertOpenFor(who);
    await this.deps.store.appendAudit({
      orgId: PROVIDER_SCOPE,
      actor: identityActor(who),
      action: 'signup.access_requested',
      target: { type: 'signup', id: who.email },
      after: { email: who.email, provider: who.provider, ...(note ? { note: note.slice(0, 500) } : {}) },
    });
  }

  /** Open mode: a new org with the person as its owner (refused when anything above applies). */
  async createOrg(who: JoinSignIn, nameInput: string): Promise<{ org: Organization; member: Member }> {
    const c = await this.choices(who);
    if (!c.canCreate) {
      if (c.captured) throw new IdsyncError('domain.taken', `${c.captured.domain} is captured by ${c.captured.orgName}; request to join it instead`, { domain: c.captured.domain });
      throw new IdsyncError('signup.closed', c.offers.length ? 'an invitation or invite link applies to your address: join that organization' : 'sign-up is invite-only: new organizations are not created here');
    }
    const actor = identityActor(who);
    const domain = normalizeDomain(emailDomain(who.email));
    const name = nameInput.trim() || (domain && !PUBLIC_MAIL_DOMAINS.has(domain) ? domain : `${who.email}'s organization`);
    const org = await this.orgs.create({ name }, actor);
    const member = await admit(this.writer, org, { existing: undefined, memberId: randomUUID(), email: who.email, role: 'owner', identity: who });
    this.deps.logger.info('signed up: new organization', { orgId: org.id, memberId: member.id, provider: who.provider });
    return { org, member };
  }

  /** The continue URL for a member of the org (the org's setting wins over the global one), or undefined. */
  continueUrl(org: Organization, memberId: string): string | undefined {
    const base = org.settings.continueUrl || this.cfg.continueUrl;
    return base ? continueTarget(base, org.id, memberId) : undefined;
  }

  /** The origins of the continue URLs of these orgs (a form that joins one is redirected there, so the page's CSP must allow them). */
  async continueOrigins(orgIds: readonly string[]): Promise<string[]> {
    const out = new Set<string>();
    for (const id of new Set(orgIds)) {
      const org = await this.deps.store.getOrg(id);
      const base = org ? org.settings.continueUrl || this.cfg.continueUrl : '';
      if (base) out.add(new URL(base).origin);
    }
    return [...out];
  }

  /** One-time console links for a new owner's first steps (each valid five minutes). */
  async firstSteps(org: Organization, member: Member): Promise<Array<{ intent: ConsoleIntent; url: string }>> {
    const principal = { kind: 'org' as const, orgId: org.id, role: 'owner' as const, actor: { kind: 'invite' as const, id: member.id, label: member.userName } };
    const out: Array<{ intent: ConsoleIntent; url: string }> = [];
    for (const intent of ['members', 'scim', 'directory'] as const) out.push({ intent, url: (await this.consoleSessions.createPortalLink(principal, org.id, intent)).url });
    return out;
  }

  private assertOpenFor(who: JoinSignIn): void {
    if (this.cfg.mode === 'off') throw new IdsyncError('signup.closed', 'sign-up is off on this installation');
    if (!who.emailVerified) throw new IdsyncError('join.email_unverified', `the ${who.provider} account's email address is not verified`, { provider: who.provider });
  }

  /** Candidate orgs from the store's cross-org indexes, each checked with the per-org reads (a stale candidate offers nothing). */
  private async offersFor(email: string): Promise<SignupOffer[]> {
    const now = this.deps.clock.now();
    const domain = emailDomain(email);
    const invitations: SignupOffer[] = [];
    const links: SignupOffer[] = [];
    const [invited, linked] = await Promise.all([this.deps.store.findOrgIdsWithPendingInvitationFor(email), domain ? this.deps.store.findOrgIdsWithInviteLinkDomain(domain) : Promise.resolve([])]);
    const invitedSet = new Set(invited);
    const linkedSet = new Set(linked);
    for (const org of await candidateOrgs(this.deps, invited, linked)) {
      if (org.state === 'merging') continue;
      if (invitedSet.has(org.id)) {
        for (const inv of await this.deps.store.listPendingInvitationsForEmail(org.id, email)) {
          if (displayStatus(inv, now) === 'pending' && emailKey(inv.email) === emailKey(email)) invitations.push({ kind: 'invitation', id: inv.id, orgId: org.id, orgName: org.name, role: inv.role });
        }
      }
      if (linkedSet.has(org.id)) {
        for (const link of (await this.deps.store.listInviteLinks(org.id, { limit: MAX_PAGE_LIMIT })).items) {
          if (linkState(link, now) === 'active' && link.allowedDomains.some((d) => d.toLowerCase() === domain)) links.push({ kind: 'link', id: link.id, orgId: org.id, orgName: org.name, role: link.role });
        }
      }
    }
    return [...invitations, ...links];
  }
}
