import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError } from '../domain/errors.js';
import type { Actor, AuditDraft, DirectoryGroupLink, Team } from '../domain/model.js';
import { isDirectoryTeamWriter, teamManagedError } from '../domain/team-rules.js';
import { collect } from '../ports/paging.js';
import type { Page, PageRequest } from '../ports/store.js';
import type { ServiceDeps } from './deps.js';
import { parseInput } from './validate.js';

/** What an automatic change adds to its audit event (the reconciler: source, reason, the run and the group as evidence). */
export type AuditContext = Partial<Pick<AuditDraft, 'source' | 'reason' | 'evidence'>>;

const nameSchema = z.string().trim().min(1, 'displayName is required').max(200);

/** Refuses a change of `team` by `actor` when a live directory connection keeps it (see TeamService.writable). */
export async function assertTeamWritable(deps: ServiceDeps, team: Team, actor: Actor, opts: { emptyOk?: boolean } = {}): Promise<void> {
  if (isDirectoryTeamWriter(team, actor)) return;
  const conn = await deps.store.getConnection(team.directoryGroup!.connectionId);
  if (!conn || conn.orgId !== team.orgId) return;
  if (opts.emptyOk && (await deps.store.listTeamMembers(team.orgId, team.id, { limit: 1 })).items.length === 0) return;
  throw teamManagedError(team, conn);
}

/** Teams (the SCIM Groups of an org). Membership changes are set deltas, never rewrites. */
export class TeamService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(orgId: string, input: { displayName: string; externalId?: string; directoryGroup?: DirectoryGroupLink }, actor: Actor, context: AuditContext = {}): Promise<Team> {
    const displayName = parseInput(nameSchema, input.displayName);
    const at = this.deps.clock.now().toISOString();
    const team: Team = {
      id: randomUUID(),
      orgId,
      displayName,
      ...(input.externalId ? { externalId: input.externalId } : {}),
      ...(input.directoryGroup ? { directoryGroup: input.directoryGroup } : {}),
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createTeam(team, { orgId, actor, action: 'team.created', target: { type: 'team', id: team.id }, after: { displayName, ...(input.directoryGroup ? { directoryGroup: input.directoryGroup } : {}) }, ...context });
    return team;
  }

  async get(orgId: string, id: string): Promise<Team> {
    const t = await this.deps.store.getTeam(orgId, id);
    if (!t) throw new IdsyncError('team.not_found', `team ${id} not found`, { teamId: id });
    return t;
  }

  /**
   * The team, when `actor` may change it (domain/team-rules): a team a live directory connection
   * keeps from a group is refused with `team.managed_elsewhere` to everyone but that connection's
   * runs; `emptyOk` lets an emptied one through (a delete).
   */
  async writable(orgId: string, id: string, actor: Actor, opts: { emptyOk?: boolean } = {}): Promise<Team> {
    const team = await this.get(orgId, id);
    await assertTeamWritable(this.deps, team, actor, opts);
    return team;
  }

  list(orgId: string, page?: PageRequest): Promise<Page<Team>> {
    return this.deps.store.listTeams(orgId, page);
  }

  /** Sets displayName and/or externalId (an externalId of null clears it). */
  async update(orgId: string, id: string, change: { displayName?: string; externalId?: string | null }, actor: Actor, ifVersion?: number, context: AuditContext = {}): Promise<Team> {
    const name = change.displayName === undefined ? undefined : parseInput(nameSchema, change.displayName);
    await this.writable(orgId, id, actor);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateTeam(
      orgId,
      id,
      (cur) => {
        const { externalId: _old, ...rest } = cur;
        const externalId = change.externalId === undefined ? cur.externalId : change.externalId ?? undefined;
        const next: Team = { ...rest, displayName: name ?? cur.displayName, ...(externalId !== undefined ? { externalId } : {}) };
        if (next.displayName === cur.displayName && next.externalId === cur.externalId) return null;
        return {
          next: { ...next, updatedAt: at },
          audit: {
            orgId,
            actor,
            action: next.displayName !== cur.displayName ? 'team.renamed' : 'team.updated',
            target: { type: 'team', id },
            before: { displayName: cur.displayName, externalId: cur.externalId },
            after: { displayName: next.displayName, externalId: next.externalId },
            ...context,
          },
        };
      },
      ifVersion === undefined ? undefined : { ifVersion },
    );
    return record;
  }

  async rename(orgId: string, id: string, displayName: string, actor: Actor, ifVersion?: number): Promise<Team> {
    return this.update(orgId, id, { displayName }, actor, ifVersion);
  }

  /**
   * The teams a directory connection keeps from its groups, unlinked (`directoryGroup` dropped, one
   * `team.released` event each) because the connection is being deleted: admins and SCIM may change
   * them from then on. Teams already unlinked are not written again. Returns how many were released.
   */
  async releaseFromConnection(orgId: string, connectionId: string, actor: Actor, reason: string): Promise<number> {
    const at = this.deps.clock.now().toISOString();
    let released = 0;
    for (const team of await collect((page) => this.deps.store.listTeams(orgId, page))) {
      if (team.directoryGroup?.connectionId !== connectionId) continue;
      const { changed } = await this.deps.store.updateTeam(orgId, team.id, (cur) => {
        if (cur.directoryGroup?.connectionId !== connectionId) return null;
        const { directoryGroup, ...rest } = cur;
        return { next: { ...rest, updatedAt: at }, audit: { orgId, actor, action: 'team.released', target: { type: 'team', id: cur.id }, before: { directoryGroup }, after: { directoryGroup: null }, reason } };
      });
      if (changed) released += 1;
    }
    return released;
  }

  listMembers(orgId: string, teamId: string, page?: PageRequest): Promise<Page<string>> {
    return this.deps.store.listTeamMembers(orgId, teamId, page);
  }

  /** Every member id of a team, in the order they joined. */
  memberIds(orgId: string, teamId: string): Promise<string[]> {
    return collect((page) => this.deps.store.listTeamMembers(orgId, teamId, page));
  }

  /** Makes the membership exactly `memberIds`, as two deltas (adds, then removes). */
  async setMembers(orgId: string, teamId: string, memberIds: string[], actor: Actor): Promise<{ added: string[]; removed: string[] }> {
    await this.writable(orgId, teamId, actor);
    const wanted = new Set(memberIds);
    const current = new Set(await this.memberIds(orgId, teamId));
    const toAdd = [...wanted].filter((id) => !current.has(id));
    const toRemove = [...current].filter((id) => !wanted.has(id));
    const added = toAdd.length ? await this.addMembers(orgId, teamId, toAdd, actor) : [];
    const removed = toRemove.length ? await this.removeMembers(orgId, teamId, toRemove, actor) : [];
    return { added, removed };
  }

  async delete(orgId: string, id: string, actor: Actor): Promise<void> {
    await this.writable(orgId, id, actor, { emptyOk: true });
    await this.deps.store.deleteTeam(orgId, id, { orgId, actor, action: 'team.deleted', target: { type: 'team', id } });
  }

  /** Adds live members of the org; unknown or removed ids are refused before anything is written. */
  async addMembers(orgId: string, teamId: string, memberIds: string[], actor: Actor, context: AuditContext = {}): Promise<string[]> {
    await this.writable(orgId, teamId, actor);
    for (const id of memberIds) {
      const m = await this.deps.store.getMember(orgId, id);
      if (!m || m.status === 'removed') throw new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id });
    }
    return this.deps.store.addTeamMembers(orgId, teamId, memberIds, {
      orgId,
      actor,
      action: 'team.members_added',
      target: { type: 'team', id: teamId },
      after: { added: memberIds },
      ...context,
    });
  }

  async removeMembers(orgId: string, teamId: string, memberIds: string[], actor: Actor, context: AuditContext = {}): Promise<string[]> {
    await this.writable(orgId, teamId, actor);
    return this.deps.store.removeTeamMembers(orgId, teamId, memberIds, {
      orgId,
      actor,
      action: 'team.members_removed',
      target: { type: 'team', id: teamId },
      after: { removed: memberIds },
      ...context,
    });
  }
}
