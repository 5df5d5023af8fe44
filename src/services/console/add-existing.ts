import { IdsyncError } from '../../domain/errors.js';
import { asciiLower } from '../../domain/member-search.js';
import type { Member, Organization, Role } from '../../domain/model.js';
import { pages } from '../../ports/paging.js';
import { addExistingAccount, existingMemberOf, notAddable, type NotAddable } from '../add-existing.js';
import { assertCanManage } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import type { TeamService } from '../teams.js';
import type { ConsoleSignIn } from './sessions.js';
import type { ConsoleSignInService } from './sign-in.js';

/** Where a console session may look for people to add: the orgs it may draw from. */
export type AddSources =
  /** The operator: every organization (searched by name or email across all of them, or in one). */
  | { kind: 'operator' }
  /** A signed-in person: only the other organizations they are an active owner or admin of, now. */
  | { kind: 'person'; orgs: Organization[] }
  /** A portal link's session: its own organization only, so nobody to add from elsewhere. */
  | { kind: 'none' };

export interface Candidate {
  org: Organization;
  member: Member;
  /** Why this account cannot be added here (already a member, inactive, a service account); absent when it can. */
  blocked?: string;
}

export interface CandidateSearch {
  candidates: Candidate[];
  /** The search stopped at its budget before looking everywhere (narrow it: a whole email, or one organization). */
  partial: boolean;
}

const SHOWN = 20;
/** Members one search reads at most over all organizations it looks in (a whole email is indexed and costs nothing of this). */
const SCAN_BUDGET = 20_000;
const EMAIL = /^\S+@\S+\.\S+$/;
const LIVE: Member['status'][] = ['active', 'inactive'];
/** Organizations one search looks in at most (the operator's search of every organization). */
const ORG_BUDGET = 5000;
const BLOCKED: Record<NotAddable, (m: Member, from: Organization) => string> = {
  service_account: () => 'Cannot be added: the account is a service account; service accounts stay in their organization',
  removed: (_m, from) => `Cannot be added: the account was removed from ${from.name}`,
  inactive: (m, from) => `Cannot be added: the account is ${m.status} in ${from.name}`,
};

/**
 * "Add someone from another organization" on the members page (the seed's "Add User to
 * Organization": an existing account gets membership in another of your organizations).
 *
 * The rule (what the session may see and draw from): the operator, who can open every organization
 * anyway, searches all of them; a signed-in owner or admin sees and adds only people of the other
 * organizations they are an active owner or admin of at that moment (read again on every search and
 * add, so a demotion takes effect at once), and nothing of any other organization is ever shown to
 * them; a portal link's session is one organization's and draws on none. On the target side the
 * session needs what "add a user directly" needs (admin, and a role no higher than its own), and
 * the member is written by the same writer, audited with the console person as actor.
 */
export class ConsoleAddExisting {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly signIns: ConsoleSignInService,
    private readonly teams: TeamService,
  ) {}

  /** The organizations this session may add from into `toOrg` (never `toOrg` itself). */
  async sources(signIn: ConsoleSignIn, toOrg: string): Promise<AddSources> {
    assertCanManage(signIn.principal, toOrg);
    const who = signIn.session.who;
    if (who?.kind === 'operator' && signIn.principal.kind === 'provider') return { kind: 'operator' };
    if (who?.kind !== 'person') return { kind: 'none' };
    const { admin } = await this.signIns.adminMemberships(who);
    return { kind: 'person', orgs: admin.map((a) => a.org).filter((o) => o.id !== toOrg && open(o)) };
  }

  /** People matching `q` (a name or an email; a whole email is looked up by index) in the organizations the session may draw from. */
  async search(signIn: ConsoleSignIn, toOrg: string, query: { q: string; fromOrg?: string }): Promise<CandidateSearch> {
    const needle = asciiLower(query.q.trim());
    if (needle.length < 2) throw new IdsyncError('request.invalid', 'type at least two characters of a name or an email', { problems: [{ field: 'q', message: 'at least two characters' }] });
    const sources = await this.sources(signIn, toOrg);
    const out: Candidate[] = [];
    let budget = SCAN_BUDGET;
    let orgsLeft = ORG_BUDGET;
    let partial = false;
    const look = async (org: Organization): Promise<void> => {
      orgsLeft -= 1;
      let found: Member[];
      if (EMAIL.test(needle)) {
        found = await this.deps.store.findMembersByEmail(org.id, needle);
      } else {
        // Bounded work: each organization's members read count against one budget for the whole search.
        const size = (await this.deps.store.listMembers(org.id, { statuses: LIVE, limit: 1 })).total;
        const r = await this.deps.store.searchMembers(org.id, { statuses: LIVE, text: needle, scan: budget, limit: SHOWN - out.length });
        found = r.items;
        budget -= Math.min(size, budget);
        if (r.next) partial = true;
      }
      for (const m of found) if (m.status !== 'removed' && out.length < SHOWN) out.push({ org, member: m, ...(await this.blocked(m, org, toOrg)) });
    };
    const more = () => out.length < SHOWN && budget > 0 && orgsLeft > 0 && !partial;
    if (sources.kind === 'none') return { candidates: [], partial: false };
    if (query.fromOrg) {
      await look(await this.source(sources, query.fromOrg, toOrg));
    } else if (sources.kind === 'person') {
      for (const org of sources.orgs) if (more()) await look(org);
    } else if (EMAIL.test(needle)) {
      // The operator by email: the orgs the cross-org index names (candidates, each read again by look).
      for (const id of await this.deps.store.findOrgIdsByMemberEmail(needle)) {
        const org = id === toOrg ? undefined : await this.deps.store.getOrg(id);
        if (org && open(org) && more()) await look(org);
      }
    } else {
      for await (const orgs of pages((page) => this.deps.store.listOrgs(page))) {
        for (const org of orgs) if (org.id !== toOrg && open(org) && more()) await look(org);
        if (!more()) break;
      }
    }
    return { candidates: out, partial: partial || out.length >= SHOWN || budget <= 0 || orgsLeft <= 0 };
  }

  /** Adds the account `memberId` of `fromOrg` to `toOrg` with the role and teams chosen; the source rule is checked again here. */
  async add(signIn: ConsoleSignIn, toOrg: string, input: { fromOrg: string; memberId: string; role: Role; teamIds: string[] }): Promise<{ member: Member; from: Organization }> {
    const from = await this.source(await this.sources(signIn, toOrg), input.fromOrg, toOrg);
    const member = await addExistingAccount(this.deps, this.teams, signIn.principal, from, input.memberId, toOrg, {
      role: input.role,
      teamIds: input.teamIds,
      reason: `added in the console from ${from.name} (${from.id})`,
    });
    return { member, from };
  }

  /** The source organization, if the session may draw from it; otherwise not found (its existence is not confirmed to a person who does not administer it). */
  private async source(sources: AddSources, fromOrg: string, toOrg: string): Promise<Organization> {
    const refuse = () => new IdsyncError('org.not_found', 'no organization you may add people from has that id', { orgId: fromOrg });
    if (fromOrg === toOrg) throw new IdsyncError('request.invalid', 'choose another organization to add from', { problems: [{ field: 'fromOrg', message: 'same as this organization' }] });
    if (sources.kind === 'none') throw new IdsyncError('auth.forbidden', 'this console session is for one organization only; sign in, or use the operator console, to add people from another organization');
    if (sources.kind === 'person') {
      const org = sources.orgs.find((o) => o.id === fromOrg);
      if (!org) throw refuse();
      return org;
    }
    const org = await this.deps.store.getOrg(fromOrg);
    if (!org || !open(org)) throw refuse();
    return org;
  }

  private async blocked(m: Member, from: Organization, toOrg: string): Promise<{ blocked?: string }> {
    const why = notAddable(m);
    if (why) return { blocked: BLOCKED[why](m, from) };
    const already = await existingMemberOf(this.deps, toOrg, m);
    return already ? { blocked: `Already a member here (${already.status})` } : {};
  }
}

/** Organizations being merged away or deleted take no new members and lend none. */
const open = (o: Organization) => o.state !== 'merged' && o.state !== 'deleting';
