import type { AuditDraft, Member } from '../../domain/model.js';
import type { MemberQuery, Page, UpdateOptions, UpdateResult, Updater } from './types.js';

/** A keyset page of members: each one's position, and the total unless the caller did without it. */
export interface MemberKeysetPage {
  items: Member[];
  positions: string[];
  total?: number;
}

/** Members of an org and the indexes that find them (userName, externalId, email, upstream identity). */
export interface MemberStore {
  /** Throws `member.user_name_taken` when a non-removed member of the org has the userName (case-insensitive). */
  createMember(member: Member, audit: AuditDraft): Promise<Member>;
  getMember(orgId: string, id: string): Promise<Member | undefined>;
  /** Indexed; removed members are not found. */
  findMemberByUserName(orgId: string, userName: string): Promise<Member | undefined>;
  /** Indexed; removed members are not found. */
  findMembersByExternalId(orgId: string, externalId: string): Promise<Member[]>;
  /** Indexed over every email of a member, case-insensitive; removed members are not found. */
  findMembersByEmail(orgId: string, email: string): Promise<Member[]>;
  /** Live members of the org linked to this upstream identity (Member.identities), indexed. */
  findMemberByIdentity(orgId: string, provider: string, subject: string): Promise<Member | undefined>;
  /** Stable order: creation order within the org. */
  listMembers(orgId: string, query?: MemberQuery): Promise<Page<Member>>;
  /**
   * Keyset paging in the same creation order: the members after the position `after` (absent: from
   * the start), at most `limit` (offset is ignored), with `total` as listMembers counts it and
   * `positions` the position of each one returned (resume after any of them). A position is opaque to callers
   * and stays valid while members are created and removed, so a walk neither skips nor repeats a
   * member, and a page costs the same at position 90,000 as at the start. With `countTotal: false`
   * the total is not counted (it costs a walk of the org's index on SQLite) and is absent.
   */
  listMembersAfter(orgId: string, query: MemberQuery & { after?: string; countTotal?: boolean }): Promise<MemberKeysetPage>;
  /**
   * A bounded text search in the same creation order: reads at most `scan` members after `after`
   * (with the status and role filters) and returns those whose memberSearchText (domain/member-search)
   * contains `text` folded the same way, at most `limit`. `next` is where to go on: after the last
   * one returned when the page filled up, else after the last one read when the scan stopped before
   * the end; absent once the end was reached. Each call costs at most `scan` members, wherever it starts.
   */
  searchMembers(orgId: string, query: MemberQuery & { text: string; after?: string; scan: number; limit: number }): Promise<{ items: Member[]; next?: string }>;
  /**
   * Compare-and-swap update (see Updater).
   * Throws `member.last_owner` if the write would turn the org's last active owner into anything
   * else, checked atomically with the write.
   */
  updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>>;
  /**
   * Many compare-and-swap updates of one org's members in one transaction: all are written or none.
   * Each updater follows the Updater contract (pure; called again after a lost race); each change
   * appends its own audit event and outbox record, in item order, to the org's chain, and each
   * draft must be of that org. Fails the whole batch, writing nothing, with `member.not_found`,
   * `member.user_name_taken`, or `member.last_owner` (the org's active owners counted with the
   * batch's earlier items applied). Ids must be distinct (`internal` otherwise). One result per item, in order.
   */
  updateMembers(orgId: string, items: readonly MemberBatchItem[]): Promise<UpdateResult<Member>[]>;
}

/** One member's part of updateMembers. */
export interface MemberBatchItem {
  id: string;
  updater: Updater<Member>;
}
