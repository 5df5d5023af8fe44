import { IdsyncError } from '../../domain/errors.js';
import { isActiveOwner, lastOwnerError, losesActiveOwner } from '../../domain/invariants.js';
import { emailKey, teamNameKey, userNameKey } from '../../domain/keys.js';
import type { AdminKey, AuditDraft, AuditEvent, Member, Organization, OutboxRecord, ScimToken, Team } from '../../domain/model.js';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  type MemberQuery,
  type Page,
  type PageRequest,
  type Store,
  type UpdateOptions,
  type UpdateResult,
  type Updater,
} from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, createRedisClient, type RedisClient, type RedisConnectionOptions } from './client.js';
import { RedisContext, RETRY, parseJson, unexpectedReply } from './context.js';
import { Credentials } from './credentials.js';
import { redisKeys, type OrgKeys } from './keys.js';
import { RedisExtensions } from './redis-extensions.js';
import { listMemberPage, pageOfSortedSet, readChain, readRecords } from './reads.js';
import { RedisScripts } from './scripts.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound, teamNameTaken, teamNotFound, userNameTaken } from './writes.js';

export type RedisStoreOptions = (
  | { client: RedisClient; connection?: never; /** Close the client with the store. Default false. */ ownsClient?: boolean }
  | { connection: RedisConnectionOptions; client?: never; ownsClient?: never }
) & {
  /** Key namespace (keys.ts). Default: `connection.keyPrefix`, else `idsync`. */
  keyPrefix?: string;
  now?: () => Date;
  /** How long the first call waits for the initial connection. */
  connectTimeoutMs?: number;
  /** How long a write waits for earlier writes of its org in this process. Default: twice the command timeout. */
  lockWaitMs?: number;
};

/**
 * The replicated store: every atomic change is one Lua script over keys of one org's hash tag (the
 * change, one audit event and one outbox record). The audit hash is computed here, so each script
 * compares the chain head it was built on and reports `head_moved` when another process appended
 * first; the write is then rebuilt from fresh reads. Writes of one org are serialised in-process.
 *
 * A client passed in stays open on close() unless `ownsClient`; one built from `connection` is closed
 * with the store.
 */
export class RedisStore extends RedisExtensions implements Store {
  readonly kind = 'redis' as const;
  private readonly credentials: Credentials;
  private readonly ownsClient: boolean;

  constructor(opts: RedisStoreOptions) {
    const client = opts.client ?? createRedisClient(opts.connection!);
    const keys = redisKeys(opts.keyPrefix ?? opts.connection?.keyPrefix);
    const connectTimeoutMs = opts.connectTimeoutMs ?? opts.connection?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const lockWaitMs = opts.lockWaitMs ?? 2 * (opts.connection?.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
    super(new RedisContext(client, keys, new RedisScripts(client), opts.now ?? (() => new Date()), connectTimeoutMs, lockWaitMs));
    this.ownsClient = opts.client === undefined || opts.ownsClient === true;
    this.credentials = new Credentials(this.ctx);
  }

  /** The ioredis client, read-only, for components that share the connection (the API rate limiter). */
  get client(): RedisClient {
    return this.ctx.client;
  }

  async ping(): Promise<void> {
    await this.ctx.call((c) => c.ping());
  }

  async close(): Promise<void> {
    if (!this.ownsClient || this.ctx.client.status === 'end') return;
    try {
      await this.ctx.client.quit();
    } catch {
      this.ctx.client.disconnect();
    }
  }

  private k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  // ---- organizations ----

  /**
   * The org list is a global index (tag `{orgs}`) and the record lives under the org's tag, so the
   * two cannot change in one script on a Cluster. The list entry is written first (idempotently),
   * then the record with its audit event in one script; listOrgs only shows ids whose record exists.
   * A crash in between leaves an entry that is never shown and does no harm.
   */
  async createOrg(org: Organization, audit: AuditDraft): Promise<Organization> {
    this.ctx.assertOneSlot(audit, org.id);
    const { orgs } = this.ctx.keys;
    await this.ctx.script('indexOrg', [orgs.ordinal, orgs.all], [org.id]);
    return this.ctx.write(org.id, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const reply = await this.ctx.script('createOrg', [...a.keys, this.k(org.id).org], [...a.args, JSON.stringify(org)]);
      if (reply[0] === 'head_moved') return RETRY;
      if (reply[0] === 'exists') throw duplicateId('organization', org.id);
      if (reply[0] !== 'ok') throw unexpectedReply('createOrg', reply);
      return org;
    });
  }

  async getOrg(id: string): Promise<Organization | undefined> {
    return parseJson<Organization>(await this.ctx.call((c) => c.get(this.k(id).org)));
  }

  /** Reads the whole (small) org index to skip entries without a record, so the total is exact. */
  async listOrgs(page?: PageRequest): Promise<Page<Organization>> {
    const ids = await this.ctx.call((c) => c.zrange(this.ctx.keys.orgs.all, '0', '-1'));
    const exists = await this.ctx.call((c) => Promise.all(ids.map((id) => c.exists(this.k(id).org))));
    const live = ids.filter((_, i) => exists[i] === 1);
    const { items } = sliceOf(live, page);
    const records = await Promise.all(items.map((id) => this.getOrg(id)));
    return { items: records.filter((o): o is Organization => o !== undefined), total: live.length };
  }

  async updateOrg(id: string, updater: Updater<Organization>, opts?: UpdateOptions): Promise<UpdateResult<Organization>> {
    const key = this.k(id).org;
    return casUpdate(this.ctx, {
      lockKey: id,
      recordKey: key,
      scope: id,
      notFound: () => new IdsyncError('org.not_found', `organization ${id} not found`),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }

  // ---- members ----

  async createMember(member: Member, audit: AuditDraft): Promise<Member> {
    this.ctx.assertOneSlot(audit, member.orgId);
    const k = this.k(member.orgId);
    const live = member.status !== 'removed';
    return this.ctx.write(member.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const keys = [...a.keys, k.org, k.member(member.id), k.members, k.membersBy(member.status, member.role), k.userNames, k.activeOwners, k.ordinal];
      const args = [...a.args, member.id, JSON.stringify(member), live ? userNameKey(member.userName) : '', isActiveOwner(member) ? '1' : '0'];
      const r = await this.ctx.script('createMember', [...keys, ...(live ? lookupKeys(k, member) : [])], args);
      switch (r[0]) {
        case 'ok':
          return member;
        case 'head_moved':
          return RETRY;
        case 'org_not_found':
          throw orgNotFound(member.orgId);
        case 'exists':
          throw duplicateId('member', member.id);
        case 'user_name_taken':
          throw userNameTaken(member);
        default:
          throw unexpectedReply('createMember', r);
      }
    });
  }

  async getMember(orgId: string, id: string): Promise<Member | undefined> {
    return parseJson<Member>(await this.ctx.call((c) => c.get(this.k(orgId).member(id))));
  }

  async findMemberByUserName(orgId: string, userName: string): Promise<Member | undefined> {
    const key = userNameKey(userName);
    const id = await this.ctx.call((c) => c.hget(this.k(orgId).userNames, key));
    if (id === null) return undefined;
    const m = await this.getMember(orgId, id);
    return m && m.status !== 'removed' && userNameKey(m.userName) === key ? m : undefined;
  }

  async findMembersByExternalId(orgId: string, externalId: string): Promise<Member[]> {
    return this.membersOfIndex(orgId, this.k(orgId).byExternalId(externalId), (m) => m.externalId === externalId);
  }

  async findMembersByEmail(orgId: string, email: string): Promise<Member[]> {
    const key = emailKey(email);
    return this.membersOfIndex(orgId, this.k(orgId).byEmail(key), (m) => m.emails.some((e) => emailKey(e.value) === key));
  }

  /** Index entries are re-checked against the record read after them (an update may fall between). */
  private async membersOfIndex(orgId: string, index: string, matches: (m: Member) => boolean): Promise<Member[]> {
    const k = this.k(orgId);
    const ids = await this.ctx.call((c) => c.zrange(index, '0', '-1'));
    const members = await readRecords<Member>(this.ctx, ids.map((id) => k.member(id)));
    return members.filter((m) => m.status !== 'removed' && matches(m));
  }

  async listMembers(orgId: string, query?: MemberQuery): Promise<Page<Member>> {
    return listMemberPage(this.ctx, orgId, query);
  }

  async updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>> {
    const k = this.k(orgId);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: k.member(id),
      scope: orgId,
      notFound: () => new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id }),
      updater,
      opts,
      persist: async (raw, next, a, current) => {
        const wasLive = current.status !== 'removed';
        const isLive = next.status !== 'removed';
        const leave = wasLive ? lookupKeys(k, current) : [];
        const keys = [...a.keys, k.member(id), k.members, k.membersBy(current.status, current.role), k.membersBy(next.status, next.role), k.userNames, k.activeOwners];
        const args = [
          ...a.args,
          id,
          raw,
          JSON.stringify(next),
          wasLive ? userNameKey(current.userName) : '',
          isLive ? userNameKey(next.userName) : '',
          losesActiveOwner(current, next) ? '1' : '0',
          isActiveOwner(next) ? '1' : '0',
          leave.length,
        ];
        const r = await this.ctx.script('updateMember', [...keys, ...leave, ...(isLive ? lookupKeys(k, next) : [])], args);
        if (r[0] === 'user_name_taken') throw userNameTaken(next);
        if (r[0] === 'last_owner') throw lastOwnerError(current);
        return okOrRetry('updateMember', r);
      },
    });
  }

  // ---- teams ----

  async createTeam(team: Team, audit: AuditDraft): Promise<Team> {
    this.ctx.assertOneSlot(audit, team.orgId);
    const k = this.k(team.orgId);
    return this.ctx.write(team.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script(
        'createTeam',
        [...a.keys, k.org, k.team(team.id), k.teams, k.teamNames, k.ordinal],
        [...a.args, team.id, JSON.stringify(team), teamNameKey(team.displayName)],
      );
      if (r[0] === 'org_not_found') throw orgNotFound(team.orgId);
      if (r[0] === 'exists') throw duplicateId('team', team.id);
      if (r[0] === 'name_taken') throw teamNameTaken(team);
      return okOrRetry('createTeam', r) === RETRY ? RETRY : team;
    });
  }

  async getTeam(orgId: string, id: string): Promise<Team | undefined> {
    return parseJson<Team>(await this.ctx.call((c) => c.get(this.k(orgId).team(id))));
  }

  async findTeamByName(orgId: string, displayName: string): Promise<Team | undefined> {
    const key = teamNameKey(displayName);
    const id = await this.ctx.call((c) => c.hget(this.k(orgId).teamNames, key));
    if (id === null) return undefined;
    const team = await this.getTeam(orgId, id);
    return team && teamNameKey(team.displayName) === key ? team : undefined;
  }

  async listTeams(orgId: string, page?: PageRequest): Promise<Page<Team>> {
    const k = this.k(orgId);
    const { items, total } = await pageOfSortedSet(this.ctx, k.teams, page);
    return { items: await readRecords<Team>(this.ctx, items.map((id) => k.team(id))), total };
  }

  async updateTeam(orgId: string, id: string, updater: Updater<Team>, opts?: UpdateOptions): Promise<UpdateResult<Team>> {
    const k = this.k(orgId);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: k.team(id),
      scope: orgId,
      notFound: () => teamNotFound(id),
      updater,
      opts,
      persist: async (raw, next, a, current) => {
        const r = await this.ctx.script(
          'updateTeam',
          [...a.keys, k.team(id), k.teamNames],
          [...a.args, id, raw, JSON.stringify(next), teamNameKey(current.displayName), teamNameKey(next.displayName)],
        );
        if (r[0] === 'name_taken') throw teamNameTaken(next);
        return okOrRetry('updateTeam', r);
      },
    });
  }

  async deleteTeam(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.k(orgId);
    await this.ctx.write(orgId, async () => {
      const [raw, memberIds] = (await this.ctx.snapshot((m) => m.get(k.team(id)).zrange(k.teamMembers(id), '0', '-1'))) as [string | null, string[]];
      const team = parseJson<Team>(raw);
      if (!team) throw teamNotFound(id);
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script(
        'deleteTeam',
        [...a.keys, k.team(id), k.teams, k.teamNames, k.teamMembers(id), ...memberIds.map((m) => k.memberTeams(m))],
        [...a.args, id, raw!, teamNameKey(team.displayName), ...memberIds],
      );
      return okOrRetry('deleteTeam', r) === RETRY ? RETRY : undefined;
    });
  }

  async addTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    return this.teamDelta('addTeamMembers', orgId, teamId, memberIds, audit);
  }

  async removeTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    return this.teamDelta('removeTeamMembers', orgId, teamId, memberIds, audit);
  }

  private async teamDelta(
    name: 'addTeamMembers' | 'removeTeamMembers',
    orgId: string,
    teamId: string,
    memberIds: string[],
    audit: AuditDraft,
  ): Promise<string[]> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.k(orgId);
    const ids = [...new Set(memberIds)];
    const fixed = name === 'addTeamMembers' ? [k.team(teamId), k.teamMembers(teamId), k.ordinal] : [k.team(teamId), k.teamMembers(teamId)];
    return this.ctx.write(orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script(name, [...a.keys, ...fixed, ...ids.map((m) => k.memberTeams(m))], [...a.args, teamId, ...ids]);
      if (r[0] === 'team_not_found') throw teamNotFound(teamId);
      return okOrRetry(name, r) === RETRY ? RETRY : r.slice(1).map(String);
    });
  }

  async listTeamMembers(orgId: string, teamId: string, page?: PageRequest): Promise<Page<string>> {
    return pageOfSortedSet(this.ctx, this.k(orgId).teamMembers(teamId), page);
  }

  async listMemberTeams(orgId: string, memberId: string): Promise<string[]> {
    return this.ctx.call((c) => c.zrange(this.k(orgId).memberTeams(memberId), '0', '-1'));
  }

  // ---- audit and outbox ----

  async appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.ctx.write(audit.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      return okOrRetry('appendAudit', await this.ctx.script('appendAudit', a.keys, a.args)) === RETRY ? RETRY : a.event;
    });
  }

  async listAudit(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return readChain<AuditEvent>(this.ctx, orgId, 'auditEvents', opts);
  }

  async listOutbox(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<OutboxRecord[]> {
    return readChain<OutboxRecord>(this.ctx, orgId, 'outbox', opts);
  }

  // ---- credentials ----

  createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken> {
    return this.credentials.createScimToken(token, audit, maxLive);
  }
  findScimTokenByHash(hash: string): Promise<ScimToken | undefined> {
    return this.credentials.findScimTokenByHash(hash);
  }
  listScimTokens(orgId: string): Promise<ScimToken[]> {
    return this.credentials.listScimTokens(orgId);
  }
  revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken> {
    return this.credentials.revokeScimToken(orgId, id, at, audit);
  }
  createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey> {
    return this.credentials.createAdminKey(key, audit);
  }
  findAdminKeyByHash(hash: string): Promise<AdminKey | undefined> {
    return this.credentials.findAdminKeyByHash(hash);
  }
  listAdminKeys(orgId?: string): Promise<AdminKey[]> {
    return this.credentials.listAdminKeys(orgId);
  }
  revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey> {
    return this.credentials.revokeAdminKey(id, at, audit);
  }
  async tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const reply = await this.ctx.script('acquireLease', [this.ctx.keys.lease(name)], [holder, Math.max(1, Math.round(ttlMs))]);
    return reply[1] === 1;
  }
}

/** The lookup index sets a live member belongs to: its externalId, each distinct email and each upstream identity. */
function lookupKeys(k: OrgKeys, m: Member): string[] {
  const keys = new Set<string>();
  if (m.externalId !== undefined) keys.add(k.byExternalId(m.externalId));
  for (const e of m.emails) keys.add(k.byEmail(emailKey(e.value)));
  for (const i of m.identities ?? []) keys.add(k.byIdentity(i.provider, i.subject));
  return [...keys];
}

function sliceOf<T>(all: T[], page: PageRequest | undefined): { items: T[] } {
  const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
  return { items: all.slice(offset, offset + limit) };
}
