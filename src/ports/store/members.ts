import type { AuditDraft, Member } from '../../domain/model.js';
import type { MemberQuery, Page, UpdateOptions, UpdateResult, Updater } from './types.js';

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
   * Compare-and-swap update (see Updater).
   * Throws `member.last_owner` if the write would turn the org's last active owner into anything
   * else, checked atomically with the write.
   */
  updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>>;
}
