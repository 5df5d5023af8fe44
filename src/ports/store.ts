import type {
  AdminKey,
  AuditDraft,
  AuditEvent,
  Member,
  MemberStatus,
  Organization,
  OutboxRecord,
  Role,
  ScimToken,
  Team,
} from '../domain/model.js';
import type { ConnectionStore, InvitationStore, WebhookStore } from './store-extensions.js';

/**
 * The storage port. Two real backends implement it (sqlite, redis) and one conformance suite
 * (src/store/conformance) pins its contract for both.
 *
 * Contract shared by every mutating method:
 * - the change, one audit event and one outbox record are written atomically, or nothing is;
 * - the store assigns the audit event's id, seq, timestamp and hash chain (see chainHash);
 * - native failures are mapped to IdsyncError codes (`store.unavailable`, `member.user_name_taken`, …).
 */
export interface Store extends InvitationStore, ConnectionStore, WebhookStore {
  readonly kind: 'sqlite' | 'redis';
  /** Resolves when the backend answers; throws `store.unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;

  createOrg(org: Organization, audit: AuditDraft): Promise<Organization>;
  getOrg(id: string): Promise<Organization | undefined>;
  /** Ordered by creation. */
  listOrgs(page?: PageRequest): Promise<Page<Organization>>;
  updateOrg(id: string, updater: Updater<Organization>, opts?: UpdateOptions): Promise<UpdateResult<Organization>>;

  /** Throws `member.user_name_taken` when a non-removed member of the org has the userName (case-insensitive). */
  createMember(member: Member, audit: AuditDraft): Promise<Member>;
  getMember(orgId: string, id: string): Promise<Member | undefined>;
  /** Indexed; removed members are not found. */
  findMemberByUserName(orgId: string, userName: string): Promise<Member | undefined>;
  /** Indexed; removed members are not found. */
  findMembersByExternalId(orgId: string, externalId: string): Promise<Member[]>;
  /** Indexed over every email of a member, case-insensitive; removed members are not found. */
  findMembersByEmail(orgId: string, email: string): Promise<Member[]>;
  /** Stable order: creation order within the org. */
  listMembers(orgId: string, query?: MemberQuery): Promise<Page<Member>>;
  /**
   * Compare-and-swap update. The updater gets the current record and returns the next one with its
   * audit draft, or null when nothing changes (no write, no audit). Without `ifVersion` a backend
   * that lost a race re-reads and calls the updater again; with it, a mismatch throws
   * `version.mismatch`. The store bumps `version`.
   * Throws `member.last_owner` if the write would turn the org's last active owner into anything
   * else, checked atomically with the write.
   */
  updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>>;

  createTeam(team: Team, audit: AuditDraft): Promise<Team>;
  getTeam(orgId: string, id: string): Promise<Team | undefined>;
  findTeamByName(orgId: string, displayName: string): Promise<Team | undefined>;
  listTeams(orgId: string, page?: PageRequest): Promise<Page<Team>>;
  updateTeam(orgId: string, id: string, updater: Updater<Team>, opts?: UpdateOptions): Promise<UpdateResult<Team>>;
  /** Deletes the team and its membership set. */
  deleteTeam(orgId: string, id: string, audit: AuditDraft): Promise<void>;
  /**
   * Set deltas, never read-modify-write. Returns the ids actually added/removed; when none changed,
   * nothing is written and no audit event is appended. Unknown member ids are ignored by the
   * caller's validation, not here.
   */
  addTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]>;
  removeTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]>;
  /** Member ids in the order they were added. */
  listTeamMembers(orgId: string, teamId: string, page?: PageRequest): Promise<Page<string>>;
  listMemberTeams(orgId: string, memberId: string): Promise<string[]>;

  /** Appends an audit event (and its outbox record) that goes with no other change. */
  appendAudit(audit: AuditDraft): Promise<AuditEvent>;
  /** Events with seq > afterSeq, ascending. */
  listAudit(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>;
  listOutbox(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<OutboxRecord[]>;

  /** Throws `token.limit_reached` if the org already has `maxLive` unrevoked tokens. */
  createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken>;
  findScimTokenByHash(hash: string): Promise<ScimToken | undefined>;
  listScimTokens(orgId: string): Promise<ScimToken[]>;
  revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken>;

  createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey>;
  findAdminKeyByHash(hash: string): Promise<AdminKey | undefined>;
  /** Without orgId: every key. */
  listAdminKeys(orgId?: string): Promise<AdminKey[]>;
  revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey>;

  /**
   * A lease: true when `holder` now holds `name` (it was free, expired, or already held by the same
   * holder) for `ttlMs`; false when another holder has it. Scheduled work uses it so that among
   * several replicas exactly one runs a given tick.
   */
  tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
}

export interface PageRequest {
  offset?: number;
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** Total matching records, independent of offset/limit. */
  total: number;
}

export interface MemberQuery extends PageRequest {
  /** Default: every status, including removed tombstones. */
  statuses?: MemberStatus[];
  roles?: Role[];
}

export type Updater<T> = (current: T) => { next: T; audit: AuditDraft } | null;

export interface UpdateOptions {
  ifVersion?: number;
}

export interface UpdateResult<T> {
  record: T;
  changed: boolean;
}

/** Audit events of provider-level actions (provider-wide admin keys) form their own chain. */
export const PROVIDER_SCOPE = 'provider';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;
