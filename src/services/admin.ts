import { IdsyncError, isIdsyncError } from '../domain/errors.js';
import type { Member, MemberKind, MemberStatus, Role } from '../domain/model.js';
import { records } from '../ports/paging.js';
import type { Page } from '../ports/store.js';
import { assertCanAdminister, assertCanAssignRole, assertCanChangeMember, assertCanManage, assertCanRead, rankOf, type Principal } from './authz.js';
import type { BulkRemoveResult, CreateMemberInput, MemberService } from './members.js';
import type { ServiceDeps } from './deps.js';
import { mergedError } from './merge/sides.js';
import { deletingError } from './org-deletion/service.js';
import { addExistingAccount, type AddExistingInput } from './add-existing.js';
import { moveMember, type MoveResult } from './move-member.js';
import type { TeamService } from './teams.js';

export interface MemberSearch {
  q?: string;
  statuses?: MemberStatus[];
  roles?: Role[];
  teamId?: string;
  /** Default: people only. */
  kinds?: MemberKind[];
  offset?: number;
  limit?: number;
}

export interface AccessAnswer {
  allowed: boolean;
  memberId: string | null;
  status: MemberStatus | 'unknown';
  role: Role | null;
}

/**
 * What a person or the host product may do through the admin API, decided here from the
 * principal's standing (authz.ts) before the write path runs.
 */
export class AdminService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly members: MemberService,
    private readonly teams: TeamService,
  ) {}

  async searchMembers(p: Principal, orgId: string, s: MemberSearch): Promise<Page<Member>> {
    assertCanRead(p, orgId);
    const offset = s.offset ?? 0;
    const limit = s.limit ?? 100;
    const base = { ...(s.statuses?.length ? { statuses: s.statuses } : {}), ...(s.roles?.length ? { roles: s.roles } : {}), ...(s.kinds?.length ? { kinds: s.kinds } : {}) };
    if (!s.q && !s.teamId) return this.members.list(orgId, { ...base, offset, limit });
    const inTeam = s.teamId ? new Set(await this.teams.memberIds(orgId, (await this.teams.get(orgId, s.teamId)).id)) : undefined;
    const needle = s.q?.toLowerCase();
    const hits: Member[] = [];
    for await (const m of records((page) => this.members.list(orgId, { ...base, ...page }))) {
      if ((!inTeam || inTeam.has(m.id)) && (!needle || haystack(m).includes(needle))) hits.push(m);
    }
    return { items: hits.slice(offset, offset + limit), total: hits.length };
  }

  async getMember(p: Principal, orgId: string, id: string): Promise<Member> {
    assertCanRead(p, orgId);
    return this.members.get(orgId, id);
  }

  async createMember(p: Principal, orgId: string, input: CreateMemberInput & { teamIds?: string[] }): Promise<Member> {
    assertCanAssignRole(p, orgId, (input.role ?? 'member') as Role);
    const { teamIds, ...rest } = input;
    for (const t of teamIds ?? []) await this.teams.writable(orgId, t, p.actor);
    const m = await this.members.create(orgId, rest, p.actor, undefined, p.source);
    for (const t of teamIds ?? []) await this.teams.addMembers(orgId, t, [m.id], p.actor);
    return m;
  }

  async changeRole(p: Principal, orgId: string, id: string, role: Role): Promise<Member> {
    const target = await this.members.get(orgId, id);
    assertCanChangeMember(p, target);
    assertCanAssignRole(p, orgId, role);
    return this.members.changeRole(orgId, id, role, p.actor, undefined, p.source);
  }

  async deactivate(p: Principal, orgId: string, id: string, reason: string): Promise<Member> {
    assertCanChangeMember(p, await this.members.get(orgId, id));
    return this.members.deactivate(orgId, id, p.actor, reason, undefined, undefined, p.source);
  }

  async activate(p: Principal, orgId: string, id: string): Promise<Member> {
    assertCanChangeMember(p, await this.members.get(orgId, id));
    return this.members.activate(orgId, id, p.actor, undefined, undefined, undefined, p.source);
  }

  async remove(p: Principal, orgId: string, id: string, reason: string): Promise<Member> {
    assertCanChangeMember(p, await this.members.get(orgId, id));
    return this.members.remove(orgId, id, p.actor, reason, undefined, p.source);
  }

  /** Removes every member the principal may remove; the rest come back with the reason. */
  async removeMany(p: Principal, orgId: string, ids: string[], reason: string): Promise<BulkRemoveResult> {
    assertCanManage(p, orgId);
    const allowed: string[] = [];
    const skipped: BulkRemoveResult['skipped'] = [];
    for (const id of [...new Set(ids)]) {
      try {
        assertCanChangeMember(p, await this.members.get(orgId, id));
        allowed.push(id);
      } catch (err) {
        if (!isIdsyncError(err) || err.status >= 500) throw err;
        skipped.push({ id, code: err.code, message: err.message });
      }
    }
    const r = await this.members.removeMany(orgId, allowed, p.actor, reason, undefined, p.source);
    const order = new Map(ids.map((id, i) => [id, i]));
    return { ...r, skipped: [...skipped, ...r.skipped].sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)) };
  }

  /** Moves a member's account to another organization (provider admins only; see move-member.ts). */
  async moveMember(p: Principal, fromOrg: string, id: string, toOrg: string, role?: Role): Promise<MoveResult> {
    return moveMember(this.deps, this.members, p, fromOrg, id, toOrg, role);
  }

  /** The same account becomes a member of another organization too (provider-wide keys: an org key has no standing in another org). */
  async addToOrg(p: Principal, fromOrg: string, id: string, toOrg: string, input: AddExistingInput = {}): Promise<Member> {
    rankOf(p, fromOrg);
    if (p.kind !== 'provider') throw new IdsyncError('auth.forbidden', "adding a member's account to another organization needs a provider-wide admin key");
    const from = await this.deps.store.getOrg(fromOrg);
    if (!from) throw new IdsyncError('org.not_found', `organization ${fromOrg} not found`, { orgId: fromOrg });
    return addExistingAccount(this.deps, this.teams, p, from, id, toOrg, input);
  }

  /** The host product's sign-in and session-refresh check: only active members are allowed; a merged org answers `org.merged` with where it went. */
  async access(p: Principal, orgId: string, who: { email?: string; provider?: string; subject?: string }): Promise<AccessAnswer> {
    assertCanRead(p, orgId);
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    // A merged org answers where it went (ask there); while the merge runs its people still sign in.
    if (org.state === 'merged') throw mergedError(org);
    if (org.state === 'deleting') throw deletingError(org);
    let m: Member | undefined;
    if (who.email) {
      const found = await this.deps.store.findMembersByEmail(orgId, who.email);
      m = found.find((x) => x.status === 'active') ?? found[0];
    } else if (who.provider && who.subject) {
      m = await this.deps.store.findMemberByIdentity(orgId, who.provider, who.subject);
    } else {
      throw new IdsyncError('request.invalid', 'give email=… or subject=provider:id');
    }
    if (!m) return { allowed: false, memberId: null, status: 'unknown', role: null };
    return { allowed: m.status === 'active', memberId: m.id, status: m.status, role: m.role };
  }

  assertCanAdminister(p: Principal, orgId: string): void {
    assertCanAdminister(p, orgId);
  }

  assertCanManage(p: Principal, orgId: string): void {
    assertCanManage(p, orgId);
  }

  assertCanRead(p: Principal, orgId: string): void {
    assertCanRead(p, orgId);
  }
}

function haystack(m: Member): string {
  return [m.userName, m.displayName, m.name.givenName, m.name.familyName, m.name.formatted, ...m.emails.map((e) => e.value)].filter(Boolean).join('\n').toLowerCase();
}
