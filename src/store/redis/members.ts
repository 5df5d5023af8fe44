import { IdsyncError } from '../../domain/errors.js';
import { asciiLower, memberSearchText } from '../../domain/member-search.js';
import { isActiveOwner, lastOwnerError, losesActiveOwner } from '../../domain/invariants.js';
import { emailKey, userNameKey } from '../../domain/keys.js';
import type { AuditDraft, Member } from '../../domain/model.js';
import type { MemberBatchItem, MemberKeysetPage, MemberQuery, MemberStore, Page, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { parseHead, parseJson, RETRY, unexpectedReply, type RedisContext } from './context.js';
import { assertDistinctIds } from '../shared/member-batch.js';
import { indexCrossOrg, memberEntries, memberUpdateEntries, type CrossOrgEntry } from './cross-org.js';
import type { OrgKeys } from './keys.js';
import { listMemberPage, listMembersAfterPosition, readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound, userNameTaken } from './writes.js';

/** Members and their lookup indexes (userName hash; externalId, email and identity sets), all under the org's tag. */
export class RedisMembers implements MemberStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createMember(member: Member, audit: AuditDraft): Promise<Member> {
    this.ctx.assertOneSlot(audit, member.orgId);
    const k = this.#k(member.orgId);
    const live = member.status !== 'removed';
    // Cross-org entries go first (another slot): a refused write leaves a stale one, never a missing one.
    await indexCrossOrg(this.ctx, memberEntries(this.ctx.keys, member));
    return this.ctx.write(member.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const keys = [...a.keys, k.org, k.member(member.id), k.members, k.membersBy(member.status, member.role, member.kind), k.userNames, k.activeOwners, k.ordinal];
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
    return parseJson<Member>(await this.ctx.call((c) => c.get(this.#k(orgId).member(id))));
  }

  async findMemberByUserName(orgId: string, userName: string): Promise<Member | undefined> {
    const key = userNameKey(userName);
    const id = await this.ctx.call((c) => c.hget(this.#k(orgId).userNames, key));
    if (id === null) return undefined;
    const m = await this.getMember(orgId, id);
    return m && m.status !== 'removed' && userNameKey(m.userName) === key ? m : undefined;
  }

  async findMembersByExternalId(orgId: string, externalId: string): Promise<Member[]> {
    return this.#membersOfIndex(orgId, this.#k(orgId).byExternalId(externalId), (m) => m.externalId === externalId);
  }

  async findMembersByEmail(orgId: string, email: string): Promise<Member[]> {
    const key = emailKey(email);
    return this.#membersOfIndex(orgId, this.#k(orgId).byEmail(key), (m) => m.emails.some((e) => emailKey(e.value) === key));
  }

  /** The index holds live members only (createMember/updateMember keep it); entries are re-checked against the record. */
  async findMemberByIdentity(orgId: string, provider: string, subject: string): Promise<Member | undefined> {
    const k = this.#k(orgId);
    const ids = await this.ctx.call((c) => c.zrange(k.byIdentity(provider, subject), '0', '-1'));
    const members = await readRecords<Member>(this.ctx, ids.map((id) => k.member(id)));
    return members.find((m) => m.status !== 'removed' && (m.identities ?? []).some((i) => i.provider === provider && i.subject === subject));
  }

  /** Index entries are re-checked against the record read after them (an update may fall between). */
  async #membersOfIndex(orgId: string, index: string, matches: (m: Member) => boolean): Promise<Member[]> {
    const k = this.#k(orgId);
    const ids = await this.ctx.call((c) => c.zrange(index, '0', '-1'));
    const members = await readRecords<Member>(this.ctx, ids.map((id) => k.member(id)));
    return members.filter((m) => m.status !== 'removed' && matches(m));
  }

  async listMembers(orgId: string, query?: MemberQuery): Promise<Page<Member>> {
    return listMemberPage(this.ctx, orgId, query);
  }

  async listMembersAfter(orgId: string, query: MemberQuery & { after?: string; countTotal?: boolean }): Promise<MemberKeysetPage> {
    return listMembersAfterPosition(this.ctx, orgId, query);
  }

  /** Reads the keyset pages and compares here: Redis has no text index over members. */
  async searchMembers(orgId: string, query: MemberQuery & { text: string; after?: string; scan: number; limit: number }): Promise<{ items: Member[]; next?: string }> {
    const needle = asciiLower(query.text);
    const base = { ...(query.statuses ? { statuses: query.statuses } : {}), ...(query.roles ? { roles: query.roles } : {}), ...(query.kinds ? { kinds: query.kinds } : {}) };
    const items: Member[] = [];
    let after = query.after;
    for (let left = Math.max(1, Math.floor(query.scan)); left > 0; ) {
      const batch = Math.min(left, 500);
      const page = await listMembersAfterPosition(this.ctx, orgId, { ...base, ...(after !== undefined ? { after } : {}), limit: batch, countTotal: false });
      for (let i = 0; i < page.items.length; i++) {
        if (!memberSearchText(page.items[i]!).includes(needle)) continue;
        items.push(page.items[i]!);
        if (items.length === query.limit) return { items, next: page.positions[i]! };
      }
      left -= batch;
      // A short page is the end: members are never deleted (removal leaves a tombstone), so none vanishes mid-read.
      if (page.positions.length < batch) return { items };
      after = page.positions.at(-1);
    }
    return { items, next: after! };
  }

  async updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>> {
    const k = this.#k(orgId);
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
        const keys = [...a.keys, k.member(id), k.members, k.membersBy(current.status, current.role, current.kind), k.membersBy(next.status, next.role, next.kind), k.userNames, k.activeOwners];
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
        await indexCrossOrg(this.ctx, memberUpdateEntries(this.ctx.keys, current, next));
        const r = await this.ctx.script('updateMember', [...keys, ...leave, ...(isLive ? lookupKeys(k, next) : [])], args);
        if (r[0] === 'user_name_taken') throw userNameTaken(next);
        if (r[0] === 'last_owner') throw lastOwnerError(current);
        return okOrRetry('updateMember', r);
      },
    });
  }
  /**
   * Reads every member and the chain head in one MULTI, runs the updaters, builds the batch's events
   * as one stretch of the chain, and lets one script check and write all of it (updateMembers-6.lua).
   */
  async updateMembers(orgId: string, items: readonly MemberBatchItem[]): Promise<UpdateResult<Member>[]> {
    assertDistinctIds(items);
    if (items.length === 0) return [];
    const k = this.#k(orgId);
    return this.ctx.write(orgId, async () => {
      const rows = await this.ctx.snapshot((m) => items.reduce((acc, it) => acc.get(k.member(it.id)), m).hmget(k.auditHead, 'seq', 'hash'));
      const head = rows.at(-1) as (string | null)[];
      let chain = parseHead(head[0] ?? null, head[1] ?? null);
      const startHead = chain;
      const results: UpdateResult<Member>[] = [];
      const keys: string[] = [];
      const args: (string | number)[] = [];
      const written: Member[] = [];
      const entries: CrossOrgEntry[] = [];
      for (let i = 0; i < items.length; i++) {
        const { id, updater } = items[i]!;
        const raw = rows[i] as string | null;
        const current = parseJson<Member>(raw);
        if (raw === null || current === undefined) throw new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id });
        const step = updater(current);
        if (!step) {
          results.push({ record: current, changed: false });
          continue;
        }
        if (step.audit.orgId !== orgId) throw new IdsyncError('internal', `a batch of ${orgId} members audits into its own chain, not ${step.audit.orgId}`);
        const next: Member = { ...step.next, version: current.version + 1 };
        const a = this.ctx.audit(step.audit, chain);
        chain = { seq: a.event.seq, hash: a.event.hash };
        const wasLive = current.status !== 'removed';
        const isLive = next.status !== 'removed';
        const leave = wasLive ? lookupKeys(k, current) : [];
        const join = isLive ? lookupKeys(k, next) : [];
        keys.push(k.member(id), k.membersBy(current.status, current.role, current.kind), k.membersBy(next.status, next.role, next.kind), ...leave, ...join);
        const [, , , eventJson, outboxJson] = a.args;
        args.push(id, raw, JSON.stringify(next), wasLive ? userNameKey(current.userName) : '', isLive ? userNameKey(next.userName) : '', losesActiveOwner(current, next) ? '1' : '0', isActiveOwner(next) ? '1' : '0', leave.length, join.length, eventJson!, outboxJson!);
        written.push(current);
        entries.push(...memberUpdateEntries(this.ctx.keys, current, next));
        results.push({ record: next, changed: true });
      }
      if (written.length === 0) return results;
      const fixed = [k.auditHead, k.auditEvents, k.outbox, k.members, k.userNames, k.activeOwners];
      await indexCrossOrg(this.ctx, entries);
      const r = await this.ctx.script('updateMembers', [...fixed, ...keys], [String(startHead.seq), startHead.hash, chain.hash, written.length, ...args]);
      if (r[0] === 'user_name_taken') throw userNameTaken(results.filter((x) => x.changed)[Number(r[1]) - 1]!.record);
      if (r[0] === 'last_owner') throw lastOwnerError(written[Number(r[1]) - 1]!);
      return okOrRetry('updateMembers', r) === RETRY ? RETRY : results;
    });
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
