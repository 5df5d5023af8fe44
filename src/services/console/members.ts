import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import { asciiLower, memberSearchText } from '../../domain/member-search.js';
import type { Member, MemberKind, MemberStatus, Role, Team } from '../../domain/model.js';
import { collect, records } from '../../ports/paging.js';
import type { AdminService } from '../admin.js';
import { assertCanRead, type Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import type { BulkRemoveResult } from '../members.js';
import type { TeamService } from '../teams.js';

export interface ConsoleMemberQuery {
  /** Name or email, case-insensitive; a whole email address is looked up by index. */
  q?: string;
  /** Default: active and inactive (removed members are listed only when asked for). */
  status?: MemberStatus;
  role?: Role;
  teamId?: string;
  /** Keyset position from the previous page's `next`. */
  after?: string;
  limit?: number;
}

export interface MemberRow {
  member: Member;
  teamNames: string[];
  /** "Admins", "SCIM", "Directory connection c1". */
  managedBy: string;
  /** Why deactivate, reactivate and remove are not offered for this member here; absent when they are. */
  statusLocked?: string;
}

export interface MemberListing {
  rows: MemberRow[];
  /** Position to continue after; absent on the last page. */
  next?: string;
  /** People matching the status and role filters, on the first screen without search or team filter. */
  total?: number;
  teams: Team[];
}

const PAGE = 50;
/** Members one search request reads at most before it answers with what it found and where to go on (100,000 members: 5 requests). */
const SEARCH_SCAN = 20_000;
/** Team members one team-filtered request reads at most. */
const SCAN_BUDGET = 5000;
const BATCH = 500;
const LIVE: MemberStatus[] = ['active', 'inactive'];
/** The page shows people; service accounts have their own listing (service-accounts). */
const PEOPLE: MemberKind[] = ['person'];

/**
 * The console's members page over the admin service: the same authorization and the same member
 * writer, with the console's own rule on top: a member that SCIM or a directory connection manages
 * keeps its status from there (a change here would be undone by the next push or run), so the page
 * says why instead of offering the action, and the service refuses it the same way.
 */
export class ConsoleMembers {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly admin: AdminService,
    private readonly teams: TeamService,
  ) {}

  /** One page in creation order, by keyset: a page costs the same deep in a large org as at its start. */
  async list(p: Principal, orgId: string, query: ConsoleMemberQuery): Promise<MemberListing> {
    assertCanRead(p, orgId);
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    const limit = Math.min(Math.max(query.limit ?? PAGE, 1), 200);
    const teams = await collect((page) => this.teams.list(orgId, page));
    const base = { statuses: query.status ? [query.status] : LIVE, kinds: PEOPLE, ...(query.role ? { roles: [query.role] } : {}) };
    const needle = asciiLower(query.q?.trim() ?? '');
    const team = query.teamId ? await this.teams.get(orgId, query.teamId) : undefined;
    const keep = (m: Member) => (m.kind ?? 'person') === 'person' && (!needle || memberSearchText(m).includes(needle));

    let found: Member[];
    let next: string | undefined;
    let total: number | undefined;
    if (needle.includes('@') && /^\S+@\S+\.\S+$/.test(needle)) {
      // A whole address: the email index answers at once, whatever the org's size.
      found = (await this.deps.store.findMembersByEmail(orgId, needle)).filter((m) => base.statuses.includes(m.status) && (!query.role || m.role === query.role) && keep(m));
      if (team) found = (await Promise.all(found.map(async (m) => ((await this.deps.store.listMemberTeams(orgId, m.id)).includes(team.id) ? m : undefined)))).filter((m): m is Member => m !== undefined);
    } else if (team) {
      // A team's members in the order they were added: the team's own index, not a walk of the org.
      ({ found, next } = await this.teamPage(orgId, team.id, query.after, limit, (m) => base.statuses.includes(m.status) && (!query.role || m.role === query.role) && keep(m)));
    } else if (!needle) {
      // One row more than shown says whether a next page exists; the total is counted on the first
      // screen only (on SQLite it walks the org's index, which a later page need not pay for).
      const page = await this.deps.store.listMembersAfter(orgId, { ...base, ...(query.after ? { after: query.after } : {}), limit: limit + 1, countTotal: !query.after });
      found = page.items.slice(0, limit);
      total = page.total;
      next = page.items.length > limit ? page.positions[limit - 1] : undefined;
    } else {
      // Bounded work per request (SQLite compares in SQL; Redis reads and compares): what was found, and where to go on.
      ({ items: found, next } = await this.deps.store.searchMembers(orgId, { ...base, text: needle, ...(query.after ? { after: query.after } : {}), scan: SEARCH_SCAN, limit }));
    }
    const names = new Map(teams.map((t) => [t.id, t.displayName]));
    const live = await this.liveConnections(orgId);
    const rows = await Promise.all(
      found.map(async (m) => {
        const teamIds = await this.deps.store.listMemberTeams(orgId, m.id);
        const locked = statusLockedReason(m, live);
        return { member: m, teamNames: teamIds.map((id) => names.get(id) ?? id), managedBy: managedByLabel(m, live), ...(locked ? { statusLocked: locked } : {}) };
      }),
    );
    return { rows, ...(next ? { next } : {}), ...(total !== undefined ? { total } : {}), teams };
  }

  private async teamPage(orgId: string, teamId: string, after: string | undefined, limit: number, keep: (m: Member) => boolean): Promise<{ found: Member[]; next?: string }> {
    let offset = /^t\d{1,9}$/.test(after ?? '') ? Number(after!.slice(1)) : 0;
    const found: Member[] = [];
    for (let read = 0; read < SCAN_BUDGET; ) {
      const ids = await this.deps.store.listTeamMembers(orgId, teamId, { offset, limit: BATCH });
      for (const id of ids.items) {
        offset += 1;
        read += 1;
        const m = await this.deps.store.getMember(orgId, id);
        if (m && keep(m)) found.push(m);
        if (found.length === limit) return offset < ids.total ? { found, next: `t${offset}` } : { found };
      }
      if (ids.items.length < BATCH || offset >= ids.total) return { found };
    }
    return { found, next: `t${offset}` };
  }

  async changeRole(p: Principal, orgId: string, id: string, role: Role): Promise<Member> {
    return this.admin.changeRole(p, orgId, id, role);
  }

  async deactivate(p: Principal, orgId: string, id: string): Promise<Member> {
    await this.assertStatusFree(orgId, id);
    return this.admin.deactivate(p, orgId, id, 'deactivated in the console');
  }

  async activate(p: Principal, orgId: string, id: string): Promise<Member> {
    await this.assertStatusFree(orgId, id);
    return this.admin.activate(p, orgId, id);
  }

  async remove(p: Principal, orgId: string, id: string): Promise<Member> {
    await this.assertStatusFree(orgId, id);
    return this.admin.remove(p, orgId, id, 'removed in the console');
  }

  /** Removes what it may; managed members and refusals come back as skipped, with the reason. */
  async removeMany(p: Principal, orgId: string, ids: string[]): Promise<BulkRemoveResult> {
    this.admin.assertCanManage(p, orgId);
    const free: string[] = [];
    const skipped: BulkRemoveResult['skipped'] = [];
    const live = await this.liveConnections(orgId);
    for (const id of [...new Set(ids)]) {
      try {
        await this.assertStatusFree(orgId, id, live);
        free.push(id);
      } catch (err) {
        if (!isIdsyncError(err) || err.status >= 500) throw err;
        skipped.push({ id, code: err.code, message: err.message });
      }
    }
    const r = free.length ? await this.admin.removeMany(p, orgId, free, 'removed in the console (bulk)') : { removed: 0, removedIds: [], skipped: [] };
    return { ...r, skipped: [...skipped, ...r.skipped] };
  }

  /** How many live members a directory connection manages (for the confirmation of its deletion): one walk of the org. */
  async managedByConnection(p: Principal, orgId: string, connectionId: string): Promise<{ active: number; inactive: number }> {
    assertCanRead(p, orgId);
    const out = { active: 0, inactive: 0 };
    for await (const m of records((page) => this.deps.store.listMembers(orgId, { ...page, statuses: LIVE }))) {
      if (m.managedBy.kind === 'directory' && m.managedBy.connectionId === connectionId) out[m.status === 'active' ? 'active' : 'inactive'] += 1;
    }
    return out;
  }

  /** The members named by id (for a confirmation or a result that names them). */
  async named(p: Principal, orgId: string, ids: string[]): Promise<Map<string, Member>> {
    assertCanRead(p, orgId);
    const out = new Map<string, Member>();
    for (const id of ids.slice(0, 1000)) {
      const m = await this.deps.store.getMember(orgId, id);
      if (m) out.set(id, m);
    }
    return out;
  }

  private async liveConnections(orgId: string): Promise<LiveConnections> {
    return new Set((await this.deps.store.listConnections(orgId)).map((c) => c.id));
  }

  private async assertStatusFree(orgId: string, id: string, known?: LiveConnections): Promise<void> {
    const m = await this.deps.store.getMember(orgId, id);
    if (!m) throw new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id });
    const why = statusLockedReason(m, known ?? (await this.liveConnections(orgId)));
    if (why) throw new IdsyncError('member.managed_elsewhere', why, { memberId: id, managedBy: m.managedBy.kind });
  }
}

/**
 * The org's connections that exist. Deleting a connection releases its members to admins
 * (connections/release.ts); only members of a connection deleted by a version before that still
 * name it in managedBy. Nothing runs for them any more, so the console treats them as admins' to
 * manage and says so.
 */
export type LiveConnections = ReadonlySet<string>;

export function managedByLabel(m: Member, live?: LiveConnections): string {
  switch (m.managedBy.kind) {
    case 'scim':
      return 'SCIM';
    case 'directory':
      return live && !live.has(m.managedBy.connectionId) ? `Admins (directory connection ${m.managedBy.connectionId} was deleted)` : `Directory connection ${m.managedBy.connectionId}`;
    case 'invite':
      return 'Admins (joined by invitation)';
    case 'admin':
      return 'Admins';
  }
}

export function statusLockedReason(m: Member, live?: LiveConnections): string | undefined {
  if (m.status === 'removed') return 'Removed members cannot be changed or reactivated.';
  if (m.managedBy.kind === 'scim') return 'Managed by SCIM provisioning: change this person in your identity provider (Okta, Entra ID); a change here would be undone by its next push.';
  if (m.managedBy.kind === 'directory' && (!live || live.has(m.managedBy.connectionId))) return `Managed by directory connection ${m.managedBy.connectionId}: change this person in the directory; its next run would undo a change made here.`;
  return undefined;
}

/** A member's display name: given and family name, else the formatted or display name, else the userName. */
export function displayNameOf(m: Member): string {
  const full = [m.name.givenName, m.name.familyName].filter(Boolean).join(' ');
  return full || m.name.formatted || m.displayName || m.userName;
}
