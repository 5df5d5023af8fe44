import { NO_ORG, type ConsolePerson } from '../../domain/console.js';
import { IdsyncError } from '../../domain/errors.js';
import type { Member, Organization, Role } from '../../domain/model.js';
import { candidateOrgs } from '../cross-org.js';
import type { ServiceDeps } from '../deps.js';
import type { ConsoleSessionService, ConsoleSignIn } from './sessions.js';

/** An organization a signed-in person may open: they are an active owner or admin of it. */
export interface AdminMembership {
  org: Organization;
  member: Member;
}

/** A line of the operator's organization list. */
export interface OrgLine {
  org: Organization;
  /** Active and inactive people and service accounts (removed ones are not counted). */
  members: number;
}

const CONSOLE_ROLES: readonly Role[] = ['owner', 'admin'];
const OPERATOR_PAGE = 50;
/** Candidate organizations looked in at once when a person signs in. */
const LOOKUP_BATCH = 32;

/**
 * Console sign-in of org owners and admins with the join page's providers, and the operator's view.
 *
 * A person is found in an org by the identity join linked (provider + subject), else by the
 * provider-verified email of a member not linked to another account of the same provider. Only an
 * active owner or admin gets in. The session keeps who signed in, not a role: every request to an
 * org reads the person's member there again, so a demotion or deactivation takes effect at once and
 * the principal of each request has the role the admin API would give that member.
 */
export class ConsoleSignInService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly sessions: ConsoleSessionService,
  ) {}

  /** The person's member in the org (live), by linked identity first, then by verified email. */
  async memberOf(orgId: string, person: ConsolePerson): Promise<Member | undefined> {
    const linked = await this.deps.store.findMemberByIdentity(orgId, person.provider, person.subject);
    if (linked) return linked;
    if (!person.emailVerified) return undefined;
    const byEmail = await this.deps.store.findMembersByEmail(orgId, person.email);
    // A member linked to another account of this provider is that account's, whatever the email says.
    return byEmail.find((m) => (m.kind ?? 'person') === 'person' && !m.identities.some((i) => i.provider === person.provider && i.subject !== person.subject));
  }

  /**
   * Every organization the person is an active owner or admin of. The store's cross-org indexes name
   * the candidate orgs (those with a member linked to the identity or, when the email is verified,
   * with that email); each candidate is then checked with memberOf, 32 at a time, so a stale index
   * entry finds nothing.
   */
  async adminMemberships(person: ConsolePerson): Promise<{ admin: AdminMembership[]; other: AdminMembership[] }> {
    const admin: AdminMembership[] = [];
    const other: AdminMembership[] = [];
    const [byIdentity, byEmail] = await Promise.all([
      this.deps.store.findOrgIdsByMemberIdentity(person.provider, person.subject),
      person.emailVerified ? this.deps.store.findOrgIdsByMemberEmail(person.email) : Promise.resolve([]),
    ]);
    const open = await candidateOrgs(this.deps, byIdentity, byEmail);
    for (let i = 0; i < open.length; i += LOOKUP_BATCH) {
      const batch = open.slice(i, i + LOOKUP_BATCH);
      const found = await Promise.all(batch.map((org) => this.memberOf(org.id, person)));
      found.forEach((member, k) => {
        if (member) (member.status === 'active' && CONSOLE_ROLES.includes(member.role) ? admin : other).push({ org: batch[k]!, member });
      });
    }
    return { admin, other };
  }

  /**
   * Signs a person in: a session when they are an active owner or admin somewhere (opened on that
   * org when there is one, else on none: the picker); otherwise `console.not_admin`, logged, and
   * audited in each org where they are a member without that standing.
   */
  async signIn(person: ConsolePerson): Promise<{ token: string; signIn: ConsoleSignIn; orgs: AdminMembership[] }> {
    const { admin, other } = await this.adminMemberships(person);
    if (admin.length === 0) {
      this.deps.logger.warn('console sign-in refused: not an owner or admin of any organization', { provider: person.provider, email: person.email, memberOf: other.map((o) => o.org.id) });
      for (const { org, member } of other) {
        await this.deps.store.appendAudit({
          orgId: org.id,
          actor: { kind: 'member', id: member.id, label: person.email },
          action: 'console.sign_in_refused',
          target: { type: 'member', id: member.id },
          reason: `signed in with ${person.provider} as a${member.status === 'active' ? ` ${member.role}` : `n ${member.status} member`}: the console is for active owners and admins`,
        });
      }
      throw new IdsyncError('console.not_admin', 'you are not an owner or admin of any organization');
    }
    const orgId = admin.length === 1 ? admin[0]!.org.id : NO_ORG;
    // Opened on one org: the session is that member's, so Universal Logout of the member ends it.
    const opened = await this.sessions.open(orgId, 'all', (publicId) => ({ kind: 'member', label: `${person.email} (console session ${publicId})` }), person, admin.length === 1 ? admin[0]!.member.id : undefined);
    this.deps.logger.info('console sign-in', { session: opened.signIn.session.publicId, provider: person.provider, email: person.email, orgs: admin.map((a) => a.org.id) });
    return { ...opened, orgs: admin };
  }

  /**
   * The session as it acts in `orgId` for one request: a portal session only in its own org; the
   * operator in any org there is; a person where they are an active owner or admin now, with that
   * member's role and as that member (actor `member`, the member id).
   */
  async forOrg(signIn: ConsoleSignIn, orgId: string): Promise<ConsoleSignIn> {
    const { session } = signIn;
    const who = session.who;
    if (!who) {
      if (orgId !== session.orgId) throw new IdsyncError('org.not_found', 'this session is for another organization');
      return signIn;
    }
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    if (who.kind === 'operator') return { session: { ...session, orgId }, principal: signIn.principal };
    const member = await this.memberOf(orgId, who);
    if (!member || member.status !== 'active' || !CONSOLE_ROLES.includes(member.role)) {
      this.deps.logger.warn('console request refused: not an owner or admin of the organization', { session: session.publicId, orgId, ...(member ? { memberId: member.id, role: member.role, status: member.status } : {}) });
      throw new IdsyncError('console.not_admin', `you are not an owner or admin of ${org.name}`, { orgId });
    }
    const actor = { kind: 'member' as const, id: member.id, label: `${who.email} (console session ${session.publicId})` };
    return { session: { ...session, orgId, actor }, principal: { kind: 'org', orgId, role: member.role, actor, source: 'console' } };
  }

  /** The organizations the session may switch between: a person's (with their role); the operator's page of all. */
  async orgsOf(signIn: ConsoleSignIn, offset = 0): Promise<{ kind: 'person'; orgs: AdminMembership[] } | { kind: 'operator'; orgs: OrgLine[]; total: number; offset: number; limit: number }> {
    const who = signIn.session.who;
    if (who?.kind === 'person') return { kind: 'person', orgs: (await this.adminMemberships(who)).admin };
    if (who?.kind !== 'operator') throw new IdsyncError('route.not_found', 'this session opens one organization only');
    const page = await this.deps.store.listOrgs({ offset, limit: OPERATOR_PAGE });
    const orgs = await Promise.all(
      page.items.map(async (org) => ({ org, members: (await this.deps.store.listMembers(org.id, { statuses: ['active', 'inactive'], limit: 1 })).total })),
    );
    return { kind: 'operator', orgs, total: page.total, offset, limit: OPERATOR_PAGE };
  }
}
