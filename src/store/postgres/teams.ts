import { IdsyncError } from '../../domain/errors.js';
import { teamNameKey } from '../../domain/keys.js';
import type { AuditDraft, Team } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page, type PageRequest, type TeamRef, type TeamStore, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { isUniqueViolation, parse, type DataRow, type PostgresContext, type Sql } from './context.js';

/** Teams and their membership sets (set deltas: one statement adds or removes many). */
export class PostgresTeams implements TeamStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createTeam(team: Team, audit: AuditDraft): Promise<Team> {
    return this.ctx.write(team.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, team.orgId);
      await tx
        .exec('INSERT INTO teams (id, org_id, name_key, version, data) VALUES ($1, $2, $3, $4, $5)', [team.id, team.orgId, teamNameKey(team.displayName), team.version, JSON.stringify(team)])
        .catch((err: unknown) => {
          throw teamNameViolation(err, team);
        });
      await this.ctx.appendTx(tx, audit);
      return team;
    });
  }

  async getTeam(orgId: string, id: string): Promise<Team | undefined> {
    return this.ctx.read((sql) => teamOf(sql, orgId, id));
  }

  async findTeamByName(orgId: string, displayName: string): Promise<Team | undefined> {
    return this.ctx.read(async (sql) => parse<Team>(await sql.one<DataRow>('SELECT data FROM teams WHERE org_id = $1 AND name_key = $2', [orgId, teamNameKey(displayName)])));
  }

  async listTeams(orgId: string, page?: PageRequest): Promise<Page<Team>> {
    const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<DataRow>('SELECT data FROM teams WHERE org_id = $1 ORDER BY seq LIMIT $2 OFFSET $3', [orgId, limit, offset]),
        sql.one<{ n: number }>('SELECT count(*)::int AS n FROM teams WHERE org_id = $1', [orgId]),
      ]);
      return { items: rows.map((r) => parse<Team>(r)!), total: count!.n };
    });
  }

  async updateTeam(orgId: string, id: string, updater: Updater<Team>, opts?: UpdateOptions): Promise<UpdateResult<Team>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await teamOf(tx, orgId, id, true);
      if (!current) throw notFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE teams SET name_key = $1, version = $2, data = $3 WHERE id = $4', [teamNameKey(next.displayName), next.version, JSON.stringify(next), id]).catch((err: unknown) => {
          throw teamNameViolation(err, next);
        });
      });
    });
  }

  async deleteTeam(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    await this.ctx.write(orgId, async (tx) => {
      if ((await tx.exec('DELETE FROM teams WHERE id = $1 AND org_id = $2', [id, orgId])) === 0) throw notFound(id);
      await tx.exec('DELETE FROM team_members WHERE team_id = $1', [id]);
      await this.ctx.appendTx(tx, audit);
    });
  }

  async addTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    const wanted = [...new Set(memberIds)];
    return this.ctx.write(orgId, async (tx) => {
      if (!(await tx.one('SELECT 1 FROM teams WHERE id = $1 AND org_id = $2 FOR UPDATE', [teamId, orgId]))) throw notFound(teamId);
      if (wanted.length === 0) return [];
      // WITH ORDINALITY keeps the caller's order, which is the order the new rows' seqs follow.
      const rows = await tx.rows<{ member_id: string }>(
        `INSERT INTO team_members (org_id, team_id, member_id)
         SELECT $1, $2, m FROM unnest($3::text[]) WITH ORDINALITY AS u(m, i) ORDER BY i
         ON CONFLICT (team_id, member_id) DO NOTHING RETURNING member_id`,
        [orgId, teamId, wanted],
      );
      const added = inOrder(wanted, rows);
      if (added.length > 0) await this.ctx.appendTx(tx, audit);
      return added;
    });
  }

  async removeTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    const wanted = [...new Set(memberIds)];
    return this.ctx.write(orgId, async (tx) => {
      if (!(await tx.one('SELECT 1 FROM teams WHERE id = $1 AND org_id = $2 FOR UPDATE', [teamId, orgId]))) throw notFound(teamId);
      if (wanted.length === 0) return [];
      const rows = await tx.rows<{ member_id: string }>('DELETE FROM team_members WHERE team_id = $1 AND member_id = ANY($2::text[]) RETURNING member_id', [teamId, wanted]);
      const removed = inOrder(wanted, rows);
      if (removed.length > 0) await this.ctx.appendTx(tx, audit);
      return removed;
    });
  }

  async listTeamMembers(orgId: string, teamId: string, page?: PageRequest): Promise<Page<string>> {
    const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<{ member_id: string }>('SELECT member_id FROM team_members WHERE org_id = $1 AND team_id = $2 ORDER BY seq LIMIT $3 OFFSET $4', [orgId, teamId, limit, offset]),
        sql.one<{ n: number }>('SELECT count(*)::int AS n FROM team_members WHERE org_id = $1 AND team_id = $2', [orgId, teamId]),
      ]);
      return { items: rows.map((r) => r.member_id), total: count!.n };
    });
  }

  async listMemberTeamRefs(orgId: string, memberId: string): Promise<TeamRef[]> {
    return this.ctx.read(async (sql) =>
      (
        await sql.rows<TeamRef>(
          `SELECT t.id AS id, (t.data::jsonb)->>'displayName' AS "displayName" FROM team_members tm JOIN teams t ON t.id = tm.team_id AND t.org_id = tm.org_id
           WHERE tm.org_id = $1 AND tm.member_id = $2 ORDER BY tm.seq`,
          [orgId, memberId],
        )
      ).map((r) => ({ id: r.id, displayName: r.displayName })),
    );
  }

  async listMemberTeams(orgId: string, memberId: string): Promise<string[]> {
    return this.ctx.read(async (sql) =>
      (await sql.rows<{ team_id: string }>('SELECT team_id FROM team_members WHERE org_id = $1 AND member_id = $2 ORDER BY seq', [orgId, memberId])).map((r) => r.team_id),
    );
  }
}

async function teamOf(sql: Sql, orgId: string, id: string, forUpdate = false): Promise<Team | undefined> {
  return parse<Team>(await sql.one<DataRow>(`SELECT data FROM teams WHERE id = $1 AND org_id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [id, orgId]));
}

/** The ids a statement returned, in the caller's order. */
function inOrder(wanted: string[], rows: { member_id: string }[]): string[] {
  const hit = new Set(rows.map((r) => r.member_id));
  return wanted.filter((id) => hit.has(id));
}

const notFound = (id: string) => new IdsyncError('team.not_found', `team ${id} not found`, { teamId: id });

function teamNameViolation(err: unknown, team: Team): unknown {
  if (isUniqueViolation(err, 'teams_name')) {
    return new IdsyncError('team.name_taken', `team ${team.displayName} already exists in this organization`, { displayName: team.displayName });
  }
  return err;
}
