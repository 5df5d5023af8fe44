import { isIdsyncError } from '../../domain/errors.js';
import type { Actor, DirectoryConnection, Member, Team } from '../../domain/model.js';
import { planTeamSync, type TeamAction, type TeamPlan } from '../../domain/team-sync-plan.js';
import { supportsGroups, type DeltaSyncState, type DirectoryConnector, type GroupRead } from '../../ports/directory.js';
import { collect } from '../../ports/paging.js';
import type { ServiceDeps } from '../deps.js';
import type { RoleMappingService } from '../role-mappings/service.js';
import type { AuditContext, TeamService } from '../teams.js';
import type { ActionOutcome } from './execute.js';
import { FULL_ROUND_EVERY_MS, type GroupSyncState } from './read-directory.js';

export type { GroupSyncState } from './read-directory.js';

/** The group a team action follows, as typed evidence (in the run's plan and in each audit event). */
export interface GroupEvidence {
  readonly kind: 'directoryGroup';
  readonly provider: DirectoryConnection['provider'];
  readonly groupId: string;
  readonly group: string;
  readonly listingMode: 'full' | 'delta';
}

export type RecordedTeamAction = TeamAction & { readonly evidence: GroupEvidence; readonly outcome: ActionOutcome };

/** The run summary's `teams` part. */
export interface TeamSyncSummary {
  mode: 'full' | 'delta';
  complete: boolean;
  groups: number;
  created: number;
  renamed: number;
  /** Memberships added and removed (applied, or planned in a dry run). */
  added: number;
  removed: number;
  /** Memberships whose removal the team_shrink guard holds for approval. */
  held: number;
  unmatched: number;
  /** Roles the re-evaluation changed (mappings of source google, microsoft or github). */
  rolesChanged: number;
  apiCalls: number;
  error?: { code: string; message: string };
}

export interface TeamSyncResult {
  plan: TeamPlan;
  recorded: RecordedTeamAction[];
  summary: TeamSyncSummary;
  /** The group state to keep (unchanged when the read was incomplete or something was held). */
  state: GroupSyncState;
}

export interface TeamSyncRun {
  runId: string;
  dryRun: boolean;
  approved: boolean;
  now: Date;
  policy: { maxTeamRemovals: number; maxTeamRemovalPercent: number };
  /** Members as the run read them, and the links the run made (or would make) on top. */
  members: readonly Member[];
  links: readonly { memberId: string; directoryId: string }[];
  signal?: AbortSignal;
}

/**
 * Keeps the connection's selected directory groups as teams: reads them (Graph group delta where
 * the connector has it), plans (pure, domain/team-sync-plan.ts), applies through the team service
 * with the run as the audit evidence, and re-evaluates the roles of the members it moved.
 */
export class TeamSync {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly teams: TeamService,
    private readonly roleMappings: RoleMappingService,
  ) {}

  async run(conn: DirectoryConnection, connector: DirectoryConnector, prior: GroupSyncState, run: TeamSyncRun): Promise<TeamSyncResult | undefined> {
    if (!supportsGroups(connector)) return undefined;
    const read = await connector.readGroups(freshCursor(prior, run.now), run.signal ? { signal: run.signal } : {});
    const all = await collect((page) => this.deps.store.listTeams(conn.orgId, page));
    const mine = all.filter((t) => t.directoryGroup?.connectionId === conn.id);
    const teams = [];
    for (const team of mine) teams.push({ team, memberIds: await this.teams.memberIds(conn.orgId, team.id) });
    const memberOf = new Map<string, string>();
    for (const m of run.members) for (const i of m.identities) if (i.provider === conn.provider) memberOf.set(i.subject, m.id);
    for (const l of run.links) memberOf.set(l.directoryId, l.memberId);
    const plan = planTeamSync({
      connectionId: conn.id,
      provider: conn.provider,
      read,
      teams,
      otherTeamNames: new Set(all.filter((t) => t.directoryGroup?.connectionId !== conn.id).map((t) => t.displayName.toLowerCase())),
      memberOf,
      policy: run.policy,
      approved: run.approved,
    });
    const { outcomes, rolesChanged } = run.dryRun ? { outcomes: plan.actions.map(dryOutcome), rolesChanged: 0 } : await this.apply(conn, plan, read, run, new Map(mine.map((t) => [t.directoryGroup!.groupId.toLowerCase(), t])));
    const recorded = plan.actions.map((a, i) => ({ ...a, evidence: evidenceOf(conn, a, read.mode), outcome: outcomes[i]! }));
    return { plan, recorded, summary: summarize(read, plan, recorded, run.dryRun, rolesChanged), state: nextState(prior, read, plan, run.now) };
  }

  private async apply(conn: DirectoryConnection, plan: TeamPlan, read: GroupRead, run: TeamSyncRun, teamOf: Map<string, Team>): Promise<{ outcomes: ActionOutcome[]; rolesChanged: number }> {
    const actor: Actor = { kind: 'directory', id: conn.id, label: `${conn.provider} directory` };
    const outcomes: ActionOutcome[] = [];
    const touched = new Map<string, Set<string>>();
    for (const a of plan.actions) {
      if (a.kind === 'team.remove' && a.heldBy) {
        outcomes.push({ status: 'held', by: a.heldBy });
        continue;
      }
      const ctx: AuditContext = { source: 'reconcile', reason: a.reason, evidence: { ...evidenceOf(conn, a, read.mode), runId: run.runId, ...(a.kind === 'team.remove' && a.releasedByApproval ? { releasedByApproval: true } : {}) } };
      const gid = a.groupId.toLowerCase();
      try {
        if (a.kind === 'team.create') {
          teamOf.set(gid, await this.teams.create(conn.orgId, { displayName: a.name, directoryGroup: { connectionId: conn.id, provider: conn.provider, groupId: a.groupId, key: a.key } }, actor, ctx));
        } else if (a.kind === 'team.rename') {
          teamOf.set(gid, await this.teams.update(conn.orgId, a.teamId, { displayName: a.to }, actor, undefined, ctx));
        } else {
          const teamId = a.teamId ?? teamOf.get(gid)?.id;
          if (teamId === undefined) {
            outcomes.push({ status: 'refused', code: 'team.not_found' });
            continue;
          }
          const done = a.kind === 'team.add' ? await this.teams.addMembers(conn.orgId, teamId, [...a.memberIds], actor, ctx) : await this.teams.removeMembers(conn.orgId, teamId, [...a.memberIds], actor, ctx);
          const set = touched.get(gid) ?? new Set<string>();
          for (const id of done) set.add(id);
          touched.set(gid, set);
        }
        outcomes.push({ status: 'applied' });
      } catch (err) {
        // One team's refusal (a name another team has, a member removed meanwhile) must not stop the others.
        if (!isIdsyncError(err) || err.status >= 500) throw err;
        this.deps.logger.warn('team sync action refused', { action: a.kind, groupId: a.groupId, code: err.code });
        outcomes.push({ status: 'refused', code: err.code });
      }
    }
    let rolesChanged = 0;
    for (const [gid, ids] of touched) {
      const team = teamOf.get(gid);
      if (!team || ids.size === 0) continue;
      const out = await this.roleMappings.afterGroupChange(conn.orgId, { after: team, memberIds: [...ids] }, { actor, source: 'reconcile' });
      rolesChanged += out.filter((o) => o.result === 'changed').length;
    }
    return { outcomes, rolesChanged };
  }
}

function evidenceOf(conn: DirectoryConnection, a: TeamAction, listingMode: 'full' | 'delta'): GroupEvidence {
  return { kind: 'directoryGroup', provider: conn.provider, groupId: a.groupId, group: a.key, listingMode };
}

function dryOutcome(a: TeamAction): ActionOutcome {
  return a.kind === 'team.remove' && a.heldBy ? { status: 'held', by: a.heldBy } : { status: 'planned' };
}

/** A stored cursor older than a day is dropped for a full read, which also undoes hand edits of the teams. */
function freshCursor(prior: GroupSyncState, now: Date): DeltaSyncState | null {
  const lastFull = prior.lastFullAt ? Date.parse(prior.lastFullAt) : NaN;
  return prior.delta && now.getTime() - lastFull < FULL_ROUND_EVERY_MS ? prior.delta : null;
}

function nextState(prior: GroupSyncState, read: GroupRead, plan: TeamPlan, now: Date): GroupSyncState {
  if (!read.complete || plan.status === 'held') return prior;
  if (read.mode === 'delta') return { ...prior, delta: read.nextState };
  return { ...(read.nextState ? { delta: read.nextState } : {}), lastFullAt: now.toISOString() };
}

function summarize(read: GroupRead, plan: TeamPlan, recorded: RecordedTeamAction[], dryRun: boolean, rolesChanged: number): TeamSyncSummary {
  const done = (kind: TeamAction['kind']) => recorded.filter((a) => a.kind === kind && a.outcome.status === (dryRun ? 'planned' : 'applied'));
  const members = (list: RecordedTeamAction[]) => list.reduce((n, a) => n + (a.kind === 'team.add' || a.kind === 'team.remove' ? a.memberIds.length : 0), 0);
  return {
    mode: read.mode,
    complete: read.complete,
    groups: plan.counters.groups,
    created: done('team.create').length,
    renamed: done('team.rename').length,
    added: members(done('team.add')),
    removed: members(done('team.remove')),
    held: members(recorded.filter((a) => a.outcome.status === 'held')),
    unmatched: plan.counters.unmatched,
    rolesChanged,
    apiCalls: read.apiCalls,
    ...(read.complete ? {} : { error: read.error }),
  };
}
