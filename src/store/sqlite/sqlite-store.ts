import { IdsyncError } from '../../domain/errors.js';
import { losesActiveOwner, lastOwnerError } from '../../domain/invariants.js';
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
import type { SqliteOptions } from './open.js';
import { parse, type DataRow } from './sqlite-core.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';

/**
 * The embedded store: one SQLite file in WAL mode. Every mutation is one IMMEDIATE transaction
 * (the write lock is taken before reading, so the CLI and the daemon can share the file safely).
 *
 * The class is assembled from layers, one file per area, so each stays small: SqliteCore
 * (statements, transactions, CAS, audit chain) -> SqliteInvitations -> SqliteConnections ->
 * SqliteWebhooks -> SqliteStore (orgs, members, teams, audit, credentials).
 */
export class SqliteStore extends SqliteWebhooks implements Store {
  readonly kind = 'sqlite' as const;

  constructor(opts: SqliteOptions & { now?: () => Date }) {
    super(opts);
  }

  async ping(): Promise<void> {
    this.run(() => this.stmt('SELECT 1').get());
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  // ---- organizations ----

  async createOrg(org: Organization, audit: AuditDraft): Promise<Organization> {
    return this.write(() => {
      this.stmt('INSERT INTO orgs (id, version, data) VALUES (?, ?, ?)').run(org.id, org.version, JSON.stringify(org));
      this.appendTx(audit);
      return org;
    });
  }

  async getOrg(id: string): Promise<Organization | undefined> {
    return this.run(() => parse<Organization>(this.stmt('SELECT data FROM orgs WHERE id = ?').get(id) as DataRow | undefined));
  }

  async listOrgs(page?: PageRequest): Promise<Page<Organization>> {
    return this.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.stmt('SELECT data FROM orgs ORDER BY seq LIMIT ? OFFSET ?').all(limit, offset) as DataRow[];
      const { n } = this.stmt('SELECT count(*) AS n FROM orgs').get() as { n: number };
      return { items: rows.map((r) => parse<Organization>(r)!), total: n };
    });
  }

  async updateOrg(id: string, updater: Updater<Organization>, opts?: UpdateOptions): Promise<UpdateResult<Organization>> {
    return this.write(() => {
      const current = parse<Organization>(this.stmt('SELECT data FROM orgs WHERE id = ?').get(id) as DataRow | undefined);
      if (!current) throw new IdsyncError('org.not_found', `organization ${id} not found`);
      return this.applyUpdate(current, updater, opts, (next) => {
        this.stmt('UPDATE orgs SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }

  // ---- members ----

  async createMember(member: Member, audit: AuditDraft): Promise<Member> {
    return this.write(() => {
      this.assertOrg(member.orgId);
      try {
        this
          .stmt(
            'INSERT INTO members (id, org_id, user_name_key, external_id, status, role, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(member.id, member.orgId, userNameKey(member.userName), member.externalId ?? null, member.status, member.role, member.version, JSON.stringify(member));
      } catch (err) {
        throw this.uniqueViolation(err, member);
      }
      this.writeEmails(member);
      this.writeIdentities(member);
      this.appendTx(audit);
      return member;
    });
  }

  async getMember(orgId: string, id: string): Promise<Member | undefined> {
    return this.run(() => this.memberTx(orgId, id));
  }

  async findMemberByUserName(orgId: string, userName: string): Promise<Member | undefined> {
    return this.run(() =>
      parse<Member>(
        this
          .stmt("SELECT data FROM members WHERE org_id = ? AND user_name_key = ? AND status <> 'removed'")
          .get(orgId, userNameKey(userName)) as DataRow | undefined,
      ),
    );
  }

  async findMembersByExternalId(orgId: string, externalId: string): Promise<Member[]> {
    return this.run(() =>
      (
        this
          .stmt("SELECT data FROM members WHERE org_id = ? AND external_id = ? AND status <> 'removed' ORDER BY seq")
          .all(orgId, externalId) as DataRow[]
      ).map((r) => parse<Member>(r)!),
    );
  }

  async findMembersByEmail(orgId: string, email: string): Promise<Member[]> {
    return this.run(() =>
      (
        this
          .stmt(
            `SELECT m.data FROM member_emails e JOIN members m ON m.id = e.member_id
             WHERE e.org_id = ? AND e.email_key = ? AND m.status <> 'removed' ORDER BY m.seq`,
          )
          .all(orgId, emailKey(email)) as DataRow[]
      ).map((r) => parse<Member>(r)!),
    );
  }

  async listMembers(orgId: string, query?: MemberQuery): Promise<Page<Member>> {
    return this.run(() => {
      const { offset, limit } = clampPage(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const where = ['org_id = ?'];
      const args: unknown[] = [orgId];
      if (query?.statuses?.length) {
        where.push(`status IN (${query.statuses.map(() => '?').join(',')})`);
        args.push(...query.statuses);
      }
      if (query?.roles?.length) {
        where.push(`role IN (${query.roles.map(() => '?').join(',')})`);
        args.push(...query.roles);
      }
      const clause = where.join(' AND ');
      const rows = this.stmt(`SELECT data FROM members WHERE ${clause} ORDER BY seq LIMIT ? OFFSET ?`).all(...args, limit, offset) as DataRow[];
      const { n } = this.stmt(`SELECT count(*) AS n FROM members WHERE ${clause}`).get(...args) as { n: number };
      return { items: rows.map((r) => parse<Member>(r)!), total: n };
    });
  }

  async updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>> {
    return this.write(() => {
      const current = this.memberTx(orgId, id);
      if (!current) throw new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id });
      return this.applyUpdate(current, updater, opts, (next) => {
        if (losesActiveOwner(current, next)) {
          const { n } = this
            .stmt("SELECT count(*) AS n FROM members WHERE org_id = ? AND role = 'owner' AND status = 'active' AND id <> ?")
            .get(orgId, id) as { n: number };
          if (n === 0) throw lastOwnerError(current);
        }
        try {
          this
            .stmt('UPDATE members SET user_name_key = ?, external_id = ?, status = ?, role = ?, version = ?, data = ? WHERE id = ?')
            .run(userNameKey(next.userName), next.externalId ?? null, next.status, next.role, next.version, JSON.stringify(next), id);
        } catch (err) {
          throw this.uniqueViolation(err, next);
        }
        this.stmt('DELETE FROM member_emails WHERE member_id = ?').run(id);
        this.writeEmails(next);
        this.writeIdentities(next);
      });
    });
  }

  // ---- teams ----

  async createTeam(team: Team, audit: AuditDraft): Promise<Team> {
    return this.write(() => {
      this.assertOrg(team.orgId);
      try {
        this
          .stmt('INSERT INTO teams (id, org_id, name_key, version, data) VALUES (?, ?, ?, ?, ?)')
          .run(team.id, team.orgId, teamNameKey(team.displayName), team.version, JSON.stringify(team));
      } catch (err) {
        throw this.teamNameViolation(err, team);
      }
      this.appendTx(audit);
      return team;
    });
  }

  async getTeam(orgId: string, id: string): Promise<Team | undefined> {
    return this.run(() => this.teamTx(orgId, id));
  }

  async findTeamByName(orgId: string, displayName: string): Promise<Team | undefined> {
    return this.run(() =>
      parse<Team>(this.stmt('SELECT data FROM teams WHERE org_id = ? AND name_key = ?').get(orgId, teamNameKey(displayName)) as DataRow | undefined),
    );
  }

  async listTeams(orgId: string, page?: PageRequest): Promise<Page<Team>> {
    return this.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.stmt('SELECT data FROM teams WHERE org_id = ? ORDER BY seq LIMIT ? OFFSET ?').all(orgId, limit, offset) as DataRow[];
      const { n } = this.stmt('SELECT count(*) AS n FROM teams WHERE org_id = ?').get(orgId) as { n: number };
      return { items: rows.map((r) => parse<Team>(r)!), total: n };
    });
  }

  async updateTeam(orgId: string, id: string, updater: Updater<Team>, opts?: UpdateOptions): Promise<UpdateResult<Team>> {
    return this.write(() => {
      const current = this.teamTx(orgId, id);
      if (!current) throw new IdsyncError('team.not_found', `team ${id} not found`, { teamId: id });
      return this.applyUpdate(current, updater, opts, (next) => {
        try {
          this.stmt('UPDATE teams SET name_key = ?, version = ?, data = ? WHERE id = ?').run(teamNameKey(next.displayName), next.version, JSON.stringify(next), id);
        } catch (err) {
          throw this.teamNameViolation(err, next);
        }
      });
    });
  }

  async deleteTeam(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.write(() => {
      if (!this.teamTx(orgId, id)) throw new IdsyncError('team.not_found', `team ${id} not found`, { teamId: id });
      this.stmt('DELETE FROM team_members WHERE team_id = ?').run(id);
      this.stmt('DELETE FROM teams WHERE id = ?').run(id);
      this.appendTx(audit);
    });
  }

  async addTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    return this.write(() => {
      if (!this.teamTx(orgId, teamId)) throw new IdsyncError('team.not_found', `team ${teamId} not found`, { teamId });
      const insert = this.stmt('INSERT OR IGNORE INTO team_members (org_id, team_id, member_id) VALUES (?, ?, ?)');
      const added = [...new Set(memberIds)].filter((m) => insert.run(orgId, teamId, m).changes > 0);
      if (added.length > 0) this.appendTx(audit);
      return added;
    });
  }

  async removeTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    return this.write(() => {
      if (!this.teamTx(orgId, teamId)) throw new IdsyncError('team.not_found', `team ${teamId} not found`, { teamId });
      const del = this.stmt('DELETE FROM team_members WHERE team_id = ? AND member_id = ?');
      const removed = [...new Set(memberIds)].filter((m) => del.run(teamId, m).changes > 0);
      if (removed.length > 0) this.appendTx(audit);
      return removed;
    });
  }

  async listTeamMembers(orgId: string, teamId: string, page?: PageRequest): Promise<Page<string>> {
    return this.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this
        .stmt('SELECT member_id FROM team_members WHERE org_id = ? AND team_id = ? ORDER BY seq LIMIT ? OFFSET ?')
        .all(orgId, teamId, limit, offset) as { member_id: string }[];
      const { n } = this.stmt('SELECT count(*) AS n FROM team_members WHERE org_id = ? AND team_id = ?').get(orgId, teamId) as { n: number };
      return { items: rows.map((r) => r.member_id), total: n };
    });
  }

  async listMemberTeams(orgId: string, memberId: string): Promise<string[]> {
    return this.run(() =>
      (this.stmt('SELECT team_id FROM team_members WHERE org_id = ? AND member_id = ? ORDER BY seq').all(orgId, memberId) as { team_id: string }[]).map(
        (r) => r.team_id,
      ),
    );
  }

  // ---- audit and outbox ----

  async appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.write(() => this.appendTx(audit));
  }

  async listAudit(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return this.run(() =>
      (
        this
          .stmt('SELECT data FROM audit_events WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?')
          .all(orgId, opts?.afterSeq ?? 0, opts?.limit ?? MAX_PAGE_LIMIT) as DataRow[]
      ).map((r) => parse<AuditEvent>(r)!),
    );
  }

  async listOutbox(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<OutboxRecord[]> {
    return this.run(() =>
      (
        this
          .stmt('SELECT org_id, seq, id, type, created_at, payload FROM outbox WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?')
          .all(orgId, opts?.afterSeq ?? 0, opts?.limit ?? MAX_PAGE_LIMIT) as {
          org_id: string;
          seq: number;
          id: string;
          type: string;
          created_at: string;
          payload: string;
        }[]
      ).map((r) => ({ id: r.id, orgId: r.org_id, seq: r.seq, type: r.type, createdAt: r.created_at, payload: JSON.parse(r.payload) as unknown })),
    );
  }

  // ---- credentials ----

  async createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken> {
    return this.write(() => {
      this.assertOrg(token.orgId);
      const { n } = this.stmt('SELECT count(*) AS n FROM scim_tokens WHERE org_id = ? AND revoked = 0').get(token.orgId) as { n: number };
      if (n >= maxLive) {
        throw new IdsyncError('token.limit_reached', `organization ${token.orgId} already has ${n} live SCIM tokens; revoke one first`, { live: n });
      }
      this.stmt('INSERT INTO scim_tokens (id, org_id, hash, revoked, data) VALUES (?, ?, ?, 0, ?)').run(token.id, token.orgId, token.hash, JSON.stringify(token));
      this.appendTx(audit);
      return token;
    });
  }

  async findScimTokenByHash(hash: string): Promise<ScimToken | undefined> {
    return this.run(() => parse<ScimToken>(this.stmt('SELECT data FROM scim_tokens WHERE hash = ?').get(hash) as DataRow | undefined));
  }

  async listScimTokens(orgId: string): Promise<ScimToken[]> {
    return this.run(() =>
      (this.stmt('SELECT data FROM scim_tokens WHERE org_id = ? ORDER BY rowid').all(orgId) as DataRow[]).map((r) => parse<ScimToken>(r)!),
    );
  }

  async revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken> {
    return this.write(() => {
      const current = parse<ScimToken>(this.stmt('SELECT data FROM scim_tokens WHERE id = ? AND org_id = ?').get(id, orgId) as DataRow | undefined);
      if (!current) throw new IdsyncError('token.not_found', `SCIM token ${id} not found`, { tokenId: id });
      if (current.revokedAt) return current;
      const next: ScimToken = { ...current, revokedAt: at };
      this.stmt('UPDATE scim_tokens SET revoked = 1, data = ? WHERE id = ?').run(JSON.stringify(next), id);
      this.appendTx(audit);
      return next;
    });
  }

  async createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey> {
    return this.write(() => {
      if (key.orgId !== undefined) this.assertOrg(key.orgId);
      this.stmt('INSERT INTO admin_keys (id, org_id, hash, data) VALUES (?, ?, ?, ?)').run(key.id, key.orgId ?? null, key.hash, JSON.stringify(key));
      this.appendTx(audit);
      return key;
    });
  }

  async findAdminKeyByHash(hash: string): Promise<AdminKey | undefined> {
    return this.run(() => parse<AdminKey>(this.stmt('SELECT data FROM admin_keys WHERE hash = ?').get(hash) as DataRow | undefined));
  }

  async listAdminKeys(orgId?: string): Promise<AdminKey[]> {
    return this.run(() => {
      const rows =
        orgId === undefined
          ? (this.stmt('SELECT data FROM admin_keys ORDER BY rowid').all() as DataRow[])
          : (this.stmt('SELECT data FROM admin_keys WHERE org_id = ? ORDER BY rowid').all(orgId) as DataRow[]);
      return rows.map((r) => parse<AdminKey>(r)!);
    });
  }

  async revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey> {
    return this.write(() => {
      const current = parse<AdminKey>(this.stmt('SELECT data FROM admin_keys WHERE id = ?').get(id) as DataRow | undefined);
      if (!current) throw new IdsyncError('token.not_found', `admin key ${id} not found`, { keyId: id });
      if (current.revokedAt) return current;
      const next: AdminKey = { ...current, revokedAt: at };
      this.stmt('UPDATE admin_keys SET data = ? WHERE id = ?').run(JSON.stringify(next), id);
      this.appendTx(audit);
      return next;
    });
  }

  async tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.write(() => {
      const now = this.now().getTime();
      const cur = this.stmt('SELECT holder, expires_at FROM leases WHERE name = ?').get(name) as { holder: string; expires_at: number } | undefined;
      if (cur && cur.holder !== holder && cur.expires_at > now) return false;
      this.stmt('INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at').run(name, holder, now + ttlMs);
      return true;
    });
  }
}
