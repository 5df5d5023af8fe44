/** The pure team-sync planner: what a group read makes of the connection's teams, and its guards. */
import { describe, expect, it } from '@jest/globals';
import type { Team } from '../../src/domain/model.js';
import { planTeamSync, teamRemovalBudget, type TeamSyncInput } from '../../src/domain/team-sync-plan.js';

const policy = { maxTeamRemovals: 2, maxTeamRemovalPercent: 20 };
const team = (id: string, groupId: string, displayName: string): Team => ({ id, orgId: 'o', displayName, directoryGroup: { connectionId: 'c', provider: 'google', groupId, key: `${groupId}@acme.com` }, createdAt: '', updatedAt: '', version: 1 });
/** Directory user uN is member mN. */
const memberOf = new Map(Array.from({ length: 30 }, (_, i) => [`u${i}`, `m${i}`]));
const base = (over: Partial<TeamSyncInput>): TeamSyncInput => ({ connectionId: 'c', provider: 'google', read: { complete: true, mode: 'full', groups: [] }, teams: [], otherTeamNames: new Set(), memberOf, policy, ...over });

describe('team sync plan', () => {
  it('when the budget is asked for, then it is the larger of the count and the share of the team', () => {
    expect([teamRemovalBudget(5, policy), teamRemovalBudget(10, policy), teamRemovalBudget(50, policy)]).toEqual([2, 2, 10]);
  });

  it('when a group is new, then its team is created (named apart from a taken name) and its known members added; unknown users are counted', () => {
    const plan = planTeamSync(base({ read: { complete: true, mode: 'full', groups: [{ id: 'g1', key: 'eng@acme.com', name: 'Eng', memberIds: ['u1', 'u2', 'stranger'] }] }, otherTeamNames: new Set(['eng']) }));
    expect(plan.actions).toEqual([
      expect.objectContaining({ kind: 'team.create', groupId: 'g1', name: 'Eng (google)' }),
      expect.objectContaining({ kind: 'team.add', groupId: 'g1', memberIds: ['m1', 'm2'] }),
    ]);
    expect(plan).toMatchObject({ status: 'completed', counters: { groups: 1, unmatched: 1 } });
  });

  it('when a full read shrinks a team past the budget, then the removals are held unless approved, and additions go on', () => {
    const t = { team: team('t1', 'g1', 'Eng'), memberIds: ['m1', 'm2', 'm3', 'm4', 'm5'] };
    const read = { complete: true as const, mode: 'full' as const, groups: [{ id: 'g1', key: 'g1@acme.com', name: 'Eng', memberIds: ['u1', 'u6'] }] };
    const held = planTeamSync(base({ read, teams: [t] }));
    expect(held.status).toBe('held');
    expect(held.actions).toEqual([
      expect.objectContaining({ kind: 'team.add', teamId: 't1', memberIds: ['m6'] }),
      expect.objectContaining({ kind: 'team.remove', teamId: 't1', memberIds: ['m2', 'm3', 'm4', 'm5'], heldBy: 'team_shrink', teamSize: 5 }),
    ]);
    expect(held.guards.find((g) => g.guard === 'team_shrink')).toMatchObject({ passed: false });
    const approved = planTeamSync(base({ read, teams: [t], approved: true }));
    expect(approved.status).toBe('completed');
    expect(approved.actions[1]).toMatchObject({ kind: 'team.remove', releasedByApproval: true });
    expect(approved.actions[1]).not.toHaveProperty('heldBy');
  });

  it('when a delta renames a group and moves members, then the team is renamed and only the named members move', () => {
    const t = { team: team('t1', 'G1', 'Eng'), memberIds: ['m1', 'm2', 'm3'] };
    const plan = planTeamSync(base({ read: { complete: true, mode: 'delta', changes: [{ id: 'g1', key: 'g1', name: 'Engineering', added: ['u4', 'u1'], removed: ['u2', 'u9'] }] }, teams: [t] }));
    expect(plan.actions.map((a) => [a.kind, 'memberIds' in a ? a.memberIds : 'to' in a ? a.to : ''])).toEqual([
      ['team.rename', 'Engineering'],
      ['team.add', ['m4']],
      ['team.remove', ['m2']],
    ]);
  });

  it('when a group is gone from a complete full read, then its team is emptied under the guard, never deleted', () => {
    const t = { team: team('t1', 'g1', 'Eng'), memberIds: ['m1', 'm2', 'm3'] };
    const plan = planTeamSync(base({ teams: [t] }));
    expect(plan.actions).toEqual([expect.objectContaining({ kind: 'team.remove', teamId: 't1', memberIds: ['m1', 'm2', 'm3'], heldBy: 'team_shrink' })]);
  });

  it('when the read is incomplete, then nothing is planned and the run is incomplete', () => {
    const t = { team: team('t1', 'g1', 'Eng'), memberIds: ['m1'] };
    const plan = planTeamSync(base({ read: { complete: false, mode: 'full', error: { code: 'connector.upstream_error', message: '500' } }, teams: [t] }));
    expect(plan).toMatchObject({ status: 'incomplete', actions: [], guards: [{ guard: 'groups_complete', passed: false }] });
  });
});
