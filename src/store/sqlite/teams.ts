import { IdsyncError } from '../../domain/errors.js';
import { teamNameKey } from '../../domain/keys.js';
import type { AuditDraft, Team } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page, type PageRequest, type TeamRef, type TeamStore, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** Teams and their membership sets. */
export class SqliteTeams implements TeamStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createTeam(team: Team, audit: AuditDraft): Promise<Team> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(team.orgId);
      try {
        this.ctx
          .stmt('INSERT INTO teams (id, org_id, name_key, version, data) VALUES (?, ?, ?, ?, ?)')
          .run(team.id, team.orgId, teamNameKey(team.displayName), team.version, JSON.stringify(team));
      } catch (err) {
        throw teamNameViolation(err, team);
      }
      this.ctx.appendTx(audit);
      return team;
    });
  }

  async getTeam(orgId: string, id: string): Promise<Team | undefined> {
    return this.ctx.run(() => teamTx(this.ctx, orgId, id));
  }

  async findTeamByName(orgId: string, displayName: string): Promise<Team | undefined> {
    return this.ctx.run(() =>
      parse<Team>(this.ctx.stmt('SELECT data FROM teams WHERE org_id = ? AND name_key = ?').get(orgId, teamNameKey(displayName)) as DataRow | undefined),
    );
  }

  async listTeams(orgId: string, page?: PageRequest): Promise<Page<Team>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.ctx.stmt('SELECT data FROM teams WHERE org_id = ? ORDER BY seq LIMIT ? OFFSET ?').all(orgId, limit, offset) as DataRow[];
      const { n } = this.ctx.stmt('SELECT count(*) AS n FROM teams WHERE org_id = ?').get(orgId) as { n: number };
      return { items: rows.map((r) => parse<Team>(r)!), total: n };
    });
  }

  async updateTeam(orgId: string, id: string, updater: Updater<Team>, opts?: UpdateOptions): Promise<UpdateResult<Team>> {
    return this.ctx.write(() => {
      const current = teamTx(this.ctx, orgId, id);
      if (!current) throw new IdsyncError('team.not_found', `team ${id} not found`, { teamId: id });
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        try {
          this.ctx.stmt('UPDATE teams SET name_key = ?, version = ?, data = ? WHERE id = ?').run(teamNameKey(next.displayName), next.version, JSON.stringify(next), id);
        } catch (err) {
          throw teamNameViolation(err, next);
        }
      });
    });
  }

  async deleteTeam(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.write(() => {
      if (!teamTx(this.ctx, orgId, id)) throw new IdsyncError('team.not_found', `team ${id} not found`, { teamId: id });
      this.ctx.stmt('DELETE FROM team_members WHERE team_id = ?').run(id);
      this.ctx.stmt('DELETE FROM teams WHERE id = ?').run(id);
      this.ctx.appendTx(audit);
    });
  }

  async addTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    return this.ctx.write(() => {
      if (!teamTx(this.ctx, orgId, teamId)) throw new IdsyncError('team.not_found', `team ${teamId} not found`, { teamId });
      const insert = this.ctx.stmt('INSERT OR IGNORE INTO team_members (org_id, team_id, member_id) VALUES (?, ?, ?)');
      const added = [...new Set(memberIds)].filter((m) => insert.run(orgId, teamId, m).changes > 0);
      if (added.length > 0) this.ctx.appendTx(audit);
      return added;
    });
  }

  async removeTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    return this.ctx.write(() => {
      if (!teamTx(this.ctx, orgId, teamId)) throw new IdsyncError('team.not_found', `team ${teamId} not found`, { teamId });
      const del = this.ctx.stmt('DELETE FROM team_members WHERE team_id = ? AND member_id = ?');
      const removed = [...new Set(memberIds)].filter((m) => del.run(teamId, m).changes > 0);
      if (removed.length > 0) this.ctx.appendTx(audit);
      return removed;
    });
  }

  async listTeamMembers(orgId: string, teamId: string, page?: PageRequest): Promise<Page<string>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.ctx
        .stmt('SELECT member_id FROM team_members WHERE org_id = ? AND team_id = ? ORDER BY seq LIMIT ? OFFSET ?')
        .all(orgId, teamId, limit, offset) as { member_id: string }[];
      const { n } = this.ctx.stmt('SELECT count(*) AS n FROM team_members WHERE org_id = ? AND team_id = ?').get(orgId, teamId) as { n: number };
      return { items: rows.map((r) => r.member_id), total: n };
    });
  }

  async listMemberTeamRefs(orgId: string, memberId: string): Promise<TeamRef[]> {
    return this.ctx.run(() => teamRefsTx(this.ctx, orgId, memberId));
  }

  async listMemberTeams(orgId: string, memberId: string): Promise<string[]> {
    return this.ctx.run(() =>
      (this.ctx.stmt('SELECT team_id FROM team_members WHERE org_id = ? AND member_id = ? ORDER BY seq').all(orgId, memberId) as { team_id: string }[]).map(
        (r) => r.team_id,
      ),
    );
  }
}

function teamRefsTx(ctx: SqliteContext, orgId: string, memberId: string): TeamRef[] {
  return (
    ctx
      .stmt(
        "SELECT t.id AS id, json_extract(t.data, '$.displayName') AS displayName FROM team_members tm JOIN teams t ON t.id = tm.team_id AND t.org_id = tm.org_id WHERE tm.org_id = ? AND tm.member_id = ? ORDER BY tm.seq",
      )
      .all(orgId, memberId) as TeamRef[]
  ).map((r) => ({ id: r.id, displayName: r.displayName }));
}

function teamTx(ctx: SqliteContext, orgId: string, id: string): Team | undefined {
  return parse<Team>(ctx.stmt('SELECT data FROM teams WHERE id = ? AND org_id = ?').get(id, orgId) as DataRow | undefined);
}

function teamNameViolation(err: unknown, team: Team): unknown {
  if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
    return new IdsyncError('team.name_taken', `team ${team.displayName} already exists in this organization`, { displayName: team.displayName });
  }
  return err;
}
