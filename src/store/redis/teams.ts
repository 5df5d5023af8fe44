import { teamNameKey } from '../../domain/keys.js';
import type { AuditDraft, Team } from '../../domain/model.js';
import type { Page, PageRequest, TeamRef, TeamStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { parseJson, RETRY, type RedisContext } from './context.js';
import type { OrgKeys } from './keys.js';
import { pageOfSortedSet, readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound, teamNameTaken, teamNotFound } from './writes.js';

/** Teams, their name index and membership sets (a team's members and each member's teams). */
export class RedisTeams implements TeamStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createTeam(team: Team, audit: AuditDraft): Promise<Team> {
    this.ctx.assertOneSlot(audit, team.orgId);
    const k = this.#k(team.orgId);
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
    return parseJson<Team>(await this.ctx.call((c) => c.get(this.#k(orgId).team(id))));
  }

  async findTeamByName(orgId: string, displayName: string): Promise<Team | undefined> {
    const key = teamNameKey(displayName);
    const id = await this.ctx.call((c) => c.hget(this.#k(orgId).teamNames, key));
    if (id === null) return undefined;
    const team = await this.getTeam(orgId, id);
    return team && teamNameKey(team.displayName) === key ? team : undefined;
  }

  async listTeams(orgId: string, page?: PageRequest): Promise<Page<Team>> {
    const k = this.#k(orgId);
    const { items, total } = await pageOfSortedSet(this.ctx, k.teams, page);
    return { items: await readRecords<Team>(this.ctx, items.map((id) => k.team(id))), total };
  }

  async updateTeam(orgId: string, id: string, updater: Updater<Team>, opts?: UpdateOptions): Promise<UpdateResult<Team>> {
    const k = this.#k(orgId);
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
    const k = this.#k(orgId);
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
    return this.#teamDelta('addTeamMembers', orgId, teamId, memberIds, audit);
  }

  async removeTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]> {
    return this.#teamDelta('removeTeamMembers', orgId, teamId, memberIds, audit);
  }

  async #teamDelta(
    name: 'addTeamMembers' | 'removeTeamMembers',
    orgId: string,
    teamId: string,
    memberIds: string[],
    audit: AuditDraft,
  ): Promise<string[]> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.#k(orgId);
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
    return pageOfSortedSet(this.ctx, this.#k(orgId).teamMembers(teamId), page);
  }

  /** Two round trips whatever the number of teams: the member's team ids, then their records at once (one slot: the org's). */
  async listMemberTeamRefs(orgId: string, memberId: string): Promise<TeamRef[]> {
    const k = this.#k(orgId);
    const ids = await this.ctx.call((c) => c.zrange(k.memberTeams(memberId), '0', '-1'));
    if (ids.length === 0) return [];
    const raw = await this.ctx.call((c) => c.mget(...ids.map((id) => k.team(id))));
    return raw.flatMap((json) => {
      const t = parseJson<Team>(json);
      return t ? [{ id: t.id, displayName: t.displayName }] : [];
    });
  }

  async listMemberTeams(orgId: string, memberId: string): Promise<string[]> {
    return this.ctx.call((c) => c.zrange(this.#k(orgId).memberTeams(memberId), '0', '-1'));
  }
}
