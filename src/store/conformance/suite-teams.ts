import { describe, expect, it } from '@jest/globals';
import { aTeam, draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

/** Teams and their membership sets. */
export function teamConformance(h: StoreHarness): void {
  describe('teams', () => {
    it("when a team kept from a directory group is created and renamed, then its directoryGroup link reads back unchanged", async () => {
      const org = await h.newOrg();
      const link = { connectionId: 'conn-1', provider: 'microsoft' as const, groupId: 'a0000000-0000-4000-8000-000000000001', key: 'a0000000-0000-4000-8000-000000000001' };
      const team = { ...aTeam(org.id, { displayName: 'Engineering' }), directoryGroup: link };
      await h.store.createTeam(team, draft(org.id, 'team.created', team.id));
      await h.store.updateTeam(org.id, team.id, (cur) => ({ next: { ...cur, displayName: 'Engineering Team' }, audit: draft(org.id, 'team.renamed', team.id) }));
      expect(await h.store.getTeam(org.id, team.id)).toMatchObject({ displayName: 'Engineering Team', directoryGroup: link });
      expect((await h.store.listTeams(org.id)).items[0]!.directoryGroup).toEqual(link);
    });

    it('when teams are created with one name in different cases concurrently, then exactly one wins', async () => {
      const org = await h.newOrg();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => codeOf(h.store.createTeam(aTeam(org.id, { displayName: i % 2 ? 'Engineering' : 'ENGINEERING' }), draft(org.id, 'team.created', `t${i}`)))),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'team.name_taken')).toHaveLength(19);
      expect((await h.store.findTeamByName(org.id, 'engineering'))?.displayName).toMatch(/^engineering$/i);
    });

    it('when members are added and removed as deltas concurrently, then the set is exact and no-ops write nothing', async () => {
      const org = await h.newOrg();
      const team = aTeam(org.id);
      await h.store.createTeam(team, draft(org.id, 'team.created', team.id));
      const ids = Array.from({ length: 60 }, (_, i) => `member-${i}`);
      const added = await Promise.all(ids.map((id) => h.store.addTeamMembers(org.id, team.id, [id], draft(org.id, 'team.members_added', team.id))));
      expect(added.flat().sort()).toEqual([...ids].sort());
      const page = await h.store.listTeamMembers(org.id, team.id, { offset: 0, limit: 1000 });
      expect(page.total).toBe(60);
      expect(new Set(page.items)).toEqual(new Set(ids));

      const auditBefore = (await h.store.listAudit(org.id)).length;
      expect(await h.store.addTeamMembers(org.id, team.id, ['member-1', 'member-1'], draft(org.id, 'team.members_added', team.id))).toEqual([]);
      expect(await h.store.listAudit(org.id)).toHaveLength(auditBefore);

      const removed = await Promise.all(ids.slice(0, 30).map((id) => h.store.removeTeamMembers(org.id, team.id, [id, 'never-there'], draft(org.id, 'team.members_removed', team.id))));
      expect(removed.flat().sort()).toEqual(ids.slice(0, 30).sort());
      expect((await h.store.listTeamMembers(org.id, team.id)).total).toBe(30);
      expect(await h.store.listMemberTeams(org.id, 'member-45')).toEqual([team.id]);
      expect(await h.store.listMemberTeams(org.id, 'member-5')).toEqual([]);
    });

    it("when a team's members are paged, then pages follow the order they were added, with the team's total and nothing of another team", async () => {
      const org = await h.newOrg();
      const t = aTeam(org.id, { displayName: 'Paged' });
      const other = aTeam(org.id, { displayName: 'Other' });
      await h.store.createTeam(t, draft(org.id, 'team.created', t.id));
      await h.store.createTeam(other, draft(org.id, 'team.created', other.id));
      const ids = Array.from({ length: 25 }, (_, i) => `member-${String(24 - i).padStart(2, '0')}`);
      for (const id of ids) {
        await h.store.addTeamMembers(org.id, t.id, [id], draft(org.id, 'team.members_added', t.id));
        await h.store.addTeamMembers(org.id, other.id, [`x-${id}`], draft(org.id, 'team.members_added', other.id));
      }
      const pages = [];
      for (let offset = 0; offset < 30; offset += 10) pages.push(await h.store.listTeamMembers(org.id, t.id, { offset, limit: 10 }));
      expect(pages.map((p) => p.total)).toEqual([25, 25, 25]);
      expect(pages.flatMap((p) => p.items)).toEqual(ids);
      expect(await h.store.listTeamMembers(org.id, t.id, { offset: 0, limit: 0 })).toEqual({ items: [], total: 25 });
      expect(await h.store.listTeamMembers(org.id, t.id, { offset: 40, limit: 10 })).toEqual({ items: [], total: 25 });
      expect(await h.store.listTeamMembers((await h.newOrg()).id, t.id)).toEqual({ items: [], total: 0 });
    });

    it("when a member's teams are read with their names, then they come in the order joined, renames show, deleted teams and other members' teams do not", async () => {
      const org = await h.newOrg();
      const [a, b, c] = ['Zeta', 'Alpha', 'Mid'].map((displayName) => aTeam(org.id, { displayName }));
      for (const t of [a!, b!, c!]) await h.store.createTeam(t, draft(org.id, 'team.created', t.id));
      for (const t of [a!, b!, c!]) await h.store.addTeamMembers(org.id, t.id, ['m1'], draft(org.id, 'team.members_added', t.id));
      await h.store.addTeamMembers(org.id, b!.id, ['m2'], draft(org.id, 'team.members_added', b!.id));
      expect(await h.store.listMemberTeamRefs(org.id, 'm1')).toEqual([a, b, c].map((t) => ({ id: t!.id, displayName: t!.displayName })));
      await h.store.updateTeam(org.id, a!.id, (cur) => ({ next: { ...cur, displayName: 'Zeta "renamed"' }, audit: draft(org.id, 'team.updated', cur.id) }));
      await h.store.deleteTeam(org.id, c!.id, draft(org.id, 'team.deleted', c!.id));
      expect(await h.store.listMemberTeamRefs(org.id, 'm1')).toEqual([
        { id: a!.id, displayName: 'Zeta "renamed"' },
        { id: b!.id, displayName: 'Alpha' },
      ]);
      expect(await h.store.listMemberTeamRefs(org.id, 'm2')).toEqual([{ id: b!.id, displayName: 'Alpha' }]);
      expect(await h.store.listMemberTeamRefs(org.id, 'nobody')).toEqual([]);
      expect(await h.store.listMemberTeamRefs((await h.newOrg()).id, 'm1')).toEqual([]);
    });

    it('when a team is renamed or deleted, then lookups follow and its membership goes with it', async () => {
      const org = await h.newOrg();
      const t = aTeam(org.id, { displayName: 'Ops' });
      const u = aTeam(org.id, { displayName: 'Dev' });
      await h.store.createTeam(t, draft(org.id, 'team.created', t.id));
      await h.store.createTeam(u, draft(org.id, 'team.created', u.id));
      expect(await codeOf(h.store.updateTeam(org.id, u.id, (cur) => ({ next: { ...cur, displayName: 'OPS' }, audit: draft(org.id, 'team.updated', cur.id) })))).toBe(
        'team.name_taken',
      );
      await h.store.updateTeam(org.id, t.id, (cur) => ({ next: { ...cur, displayName: 'SRE' }, audit: draft(org.id, 'team.updated', cur.id) }));
      expect((await h.store.findTeamByName(org.id, 'sre'))?.id).toBe(t.id);
      expect(await h.store.findTeamByName(org.id, 'ops')).toBeUndefined();
      await h.store.addTeamMembers(org.id, t.id, ['m1'], draft(org.id, 'team.members_added', t.id));
      await h.store.deleteTeam(org.id, t.id, draft(org.id, 'team.deleted', t.id));
      expect(await h.store.getTeam(org.id, t.id)).toBeUndefined();
      expect(await h.store.listMemberTeams(org.id, 'm1')).toEqual([]);
      expect((await h.store.listTeams(org.id)).items.map((x) => x.id)).toEqual([u.id]);
      expect(await codeOf(h.store.deleteTeam(org.id, t.id, draft(org.id, 'team.deleted', t.id)))).toBe('team.not_found');
    });
  });
}
