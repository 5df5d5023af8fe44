import { describe, expect, it } from '@jest/globals';
import type { Member } from '../../domain/model.js';
import { aMember, draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const bump = (m: Member, change: Partial<Member>) => ({ next: { ...m, ...change }, audit: draft(m.orgId, 'member.updated', m.id) });

/** Members, their lookup indexes, compare-and-swap updates and the last-owner guard. */
export function memberConformance(h: StoreHarness): void {
  describe('members', () => {
    it('when a member is created, then it can be read back only within its own org', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const m = aMember(org.id, { externalId: 'ext-1' });
      await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      expect(await h.store.getMember(org.id, m.id)).toEqual(m);
      expect(await h.store.getMember(other.id, m.id)).toBeUndefined();
      expect(await h.store.findMemberByUserName(other.id, m.userName)).toBeUndefined();
      expect(await codeOf(h.store.createMember(aMember('no-such-org'), draft('no-such-org', 'member.created', 'x')))).toBe('org.not_found');
    });

    it('when 100 creates of one userName race with different cases, then exactly one wins', async () => {
      const org = await h.newOrg();
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => codeOf(h.store.createMember(aMember(org.id, { userName: i % 2 ? 'Race@Example.com' : 'race@example.COM' }), draft(org.id, 'member.created', `m${i}`)))),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'member.user_name_taken')).toHaveLength(99);
      expect((await h.store.listMembers(org.id)).total).toBe(1);
      // Only the winning write reached the audit trail.
      expect(await h.store.listAudit(org.id)).toHaveLength(2);
    });

    it('when looked up by userName, externalId or email, then the index answers case-insensitively and follows updates', async () => {
      const org = await h.newOrg();
      const m = aMember(org.id, { userName: 'Grace.Hopper@Example.com', externalId: 'okta-42', emails: [{ value: 'Grace@Navy.mil', type: 'work' }, { value: 'gh@home.example' }] });
      await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      expect((await h.store.findMemberByUserName(org.id, 'grace.hopper@example.COM'))?.id).toBe(m.id);
      expect((await h.store.findMemberByUserName(org.id, 'grace.hopper@example.COM'))?.userName).toBe('Grace.Hopper@Example.com');
      expect((await h.store.findMembersByExternalId(org.id, 'okta-42')).map((x) => x.id)).toEqual([m.id]);
      expect((await h.store.findMembersByEmail(org.id, 'grace@navy.MIL')).map((x) => x.id)).toEqual([m.id]);
      expect((await h.store.findMembersByEmail(org.id, 'gh@home.example')).map((x) => x.id)).toEqual([m.id]);

      await h.store.updateMember(org.id, m.id, (cur) => bump(cur, { userName: 'ghopper', externalId: 'okta-43', emails: [{ value: 'new@navy.mil' }] }));
      expect(await h.store.findMemberByUserName(org.id, 'Grace.Hopper@Example.com')).toBeUndefined();
      expect((await h.store.findMemberByUserName(org.id, 'GHOPPER'))?.id).toBe(m.id);
      expect(await h.store.findMembersByExternalId(org.id, 'okta-42')).toEqual([]);
      expect((await h.store.findMembersByExternalId(org.id, 'okta-43')).map((x) => x.id)).toEqual([m.id]);
      expect(await h.store.findMembersByEmail(org.id, 'grace@navy.mil')).toEqual([]);
      expect((await h.store.findMembersByEmail(org.id, 'NEW@navy.mil')).map((x) => x.id)).toEqual([m.id]);
    });

    it('when a member is renamed onto a taken userName, then the update is refused and nothing is written', async () => {
      const org = await h.newOrg();
      const a = aMember(org.id, { userName: 'a@x.io' });
      const b = aMember(org.id, { userName: 'b@x.io' });
      await h.store.createMember(a, draft(org.id, 'member.created', a.id));
      await h.store.createMember(b, draft(org.id, 'member.created', b.id));
      const before = (await h.store.listAudit(org.id)).length;
      expect(await codeOf(h.store.updateMember(org.id, b.id, (cur) => bump(cur, { userName: 'A@X.IO' })))).toBe('member.user_name_taken');
      expect((await h.store.getMember(org.id, b.id))?.version).toBe(1);
      expect(await h.store.listAudit(org.id)).toHaveLength(before);
    });

    it('when a member is removed, then it stays as a tombstone and frees its userName and lookups', async () => {
      const org = await h.newOrg();
      const m = aMember(org.id, { userName: 'gone@x.io', externalId: 'e1' });
      await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      await h.store.updateMember(org.id, m.id, (cur) => bump(cur, { status: 'removed', removedAt: '2026-01-02T00:00:00.000Z' }));
      expect((await h.store.getMember(org.id, m.id))?.status).toBe('removed');
      expect(await h.store.findMemberByUserName(org.id, 'gone@x.io')).toBeUndefined();
      expect(await h.store.findMembersByExternalId(org.id, 'e1')).toEqual([]);
      expect(await h.store.findMembersByEmail(org.id, 'gone@x.io')).toEqual([]);
      const again = aMember(org.id, { userName: 'GONE@x.io' });
      await h.store.createMember(again, draft(org.id, 'member.created', again.id));
      expect((await h.store.listMembers(org.id, { statuses: ['removed'] })).items.map((x) => x.id)).toEqual([m.id]);
      expect((await h.store.listMembers(org.id, { statuses: ['active'] })).items.map((x) => x.id)).toEqual([again.id]);
      expect((await h.store.listMembers(org.id)).total).toBe(2);
    });

    it('when updates race without ifVersion, then none is lost; with a stale ifVersion, it is refused', async () => {
      const org = await h.newOrg();
      const m = aMember(org.id, { attributes: { n: 0 } });
      await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      await Promise.all(
        Array.from({ length: 50 }, () => h.store.updateMember(org.id, m.id, (cur) => bump(cur, { attributes: { n: (cur.attributes.n as number) + 1 } }))),
      );
      const after = await h.store.getMember(org.id, m.id);
      expect(after?.attributes.n).toBe(50);
      expect(after?.version).toBe(51);
      expect(await codeOf(h.store.updateMember(org.id, m.id, (cur) => bump(cur, { displayName: 'x' }), { ifVersion: 50 }))).toBe('version.mismatch');
      const ok = await h.store.updateMember(org.id, m.id, (cur) => bump(cur, { displayName: 'x' }), { ifVersion: 51 });
      expect(ok.record.version).toBe(52);
    });

    it('when an updater returns null, then nothing is written and no audit event is appended', async () => {
      const org = await h.newOrg();
      const m = aMember(org.id);
      await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      const res = await h.store.updateMember(org.id, m.id, () => null);
      expect(res).toEqual({ record: m, changed: false });
      expect(await h.store.listAudit(org.id)).toHaveLength(2);
      expect(await codeOf(h.store.updateMember(org.id, 'missing', () => null))).toBe('member.not_found');
    });

    it('when the last active owner would be deactivated or demoted, then the store refuses atomically', async () => {
      const org = await h.newOrg();
      const o1 = aMember(org.id, { role: 'owner' });
      const o2 = aMember(org.id, { role: 'owner' });
      await h.store.createMember(o1, draft(org.id, 'member.created', o1.id));
      expect(await codeOf(h.store.updateMember(org.id, o1.id, (cur) => bump(cur, { status: 'inactive' })))).toBe('member.last_owner');
      expect(await codeOf(h.store.updateMember(org.id, o1.id, (cur) => bump(cur, { role: 'admin' })))).toBe('member.last_owner');
      await h.store.createMember(o2, draft(org.id, 'member.created', o2.id));
      const both = await Promise.all([o1, o2].map((o) => codeOf(h.store.updateMember(org.id, o.id, (cur) => bump(cur, { status: 'removed' })))));
      expect(both.sort()).toEqual(['member.last_owner', 'ok']);
      expect((await h.store.listMembers(org.id, { roles: ['owner'], statuses: ['active'] })).total).toBe(1);
    });

    it('when members are paged, then the order is stable and totals are exact', async () => {
      const org = await h.newOrg();
      const ids: string[] = [];
      for (let i = 0; i < 25; i++) {
        const m = aMember(org.id);
        ids.push(m.id);
        await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      }
      const seen: string[] = [];
      for (let offset = 0; offset < 25; offset += 10) {
        const page = await h.store.listMembers(org.id, { offset, limit: 10 });
        expect(page.total).toBe(25);
        seen.push(...page.items.map((m) => m.id));
      }
      expect(seen).toEqual(ids);
      const past = await h.store.listMembers(org.id, { offset: 100, limit: 10 });
      expect(past).toEqual({ items: [], total: 25 });
      // An update does not move a member in the order.
      await h.store.updateMember(org.id, ids[0]!, (cur) => bump(cur, { displayName: 'moved?' }));
      expect((await h.store.listMembers(org.id, { limit: 1 })).items[0]?.id).toBe(ids[0]);
    });

    it('when members are filtered by several statuses and roles, then pages keep creation order and totals are exact', async () => {
      const org = await h.newOrg();
      const all: Member[] = [];
      for (let i = 0; i < 18; i++) {
        const m = aMember(org.id, { role: (['owner', 'admin', 'member'] as const)[i % 3]!, status: (['active', 'inactive', 'removed'] as const)[Math.floor(i / 2) % 3]! });
        all.push(m);
        await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      }
      const want = all.filter((m) => m.role !== 'member' && m.status !== 'removed').map((m) => m.id);
      const seen: string[] = [];
      for (let offset = 0; offset < want.length; offset += 4) {
        const page = await h.store.listMembers(org.id, { statuses: ['inactive', 'active'], roles: ['admin', 'owner'], offset, limit: 4 });
        expect(page.total).toBe(want.length);
        seen.push(...page.items.map((m) => m.id));
      }
      expect(seen).toEqual(want);
      expect(await h.store.listMembers(org.id, { roles: ['member'], limit: 0 })).toEqual({ items: [], total: 6 });
    });

    it('when members are walked by keyset while others are created and removed, then none is skipped or repeated and each page starts where the last ended', async () => {
      const org = await h.newOrg();
      const first: Member[] = [];
      for (let i = 0; i < 25; i++) {
        const m = aMember(org.id, { role: i % 5 === 0 ? 'admin' : 'member' });
        await h.store.createMember(m, draft(org.id, 'member.created', m.id));
        first.push(m);
      }
      const live = { statuses: ['active', 'inactive'] as Member['status'][] };
      const seen: string[] = [];
      let after: string | undefined;
      const added: Member[] = [];
      for (let page = 0; page < 10; page++) {
        const p = await h.store.listMembersAfter(org.id, { ...live, ...(after ? { after } : {}), limit: 10 });
        seen.push(...p.items.map((m) => m.id));
        if (page === 0) {
          // While the walk is under way: one member not reached yet is removed, one new one is created.
          await h.store.updateMember(org.id, first[15]!.id, (m) => bump(m, { status: 'removed' }));
          const n = aMember(org.id);
          await h.store.createMember(n, draft(org.id, 'member.created', n.id));
          added.push(n);
          expect(p.total).toBe(25);
        }
        expect(p.positions).toHaveLength(p.items.length);
        if (p.positions.length === 0) break;
        after = p.positions.at(-1);
      }
      const expected = [...first.filter((_, i) => i !== 15), ...added].map((m) => m.id);
      expect(seen).toEqual(expected);
      const admins = await h.store.listMembersAfter(org.id, { ...live, roles: ['admin'], limit: 2 });
      expect(admins.items.map((m) => m.id)).toEqual([first[0]!.id, first[5]!.id]);
      expect(admins.total).toBe(4);
      // Without the count: the same page, no total.
      const uncounted = await h.store.listMembersAfter(org.id, { ...live, roles: ['admin'], limit: 2, countTotal: false });
      expect(uncounted).toEqual({ items: admins.items, positions: admins.positions });
      const rest = await h.store.listMembersAfter(org.id, { ...live, roles: ['admin'], after: admins.positions.at(-1)!, limit: 10 });
      expect(rest.items.map((m) => m.id)).toEqual([first[10]!.id, first[20]!.id]);
      const end = await h.store.listMembersAfter(org.id, { ...live, after: String(Number.MAX_SAFE_INTEGER), limit: 10 });
      expect(end.items).toEqual([]);
      expect(end.positions).toEqual([]);
    });

    it('when people and service accounts are listed by kind, then each kind is counted apart and a status change keeps its kind', async () => {
      const org = await h.newOrg();
      const person = aMember(org.id);
      const svc = aMember(org.id, { kind: 'service', userName: 'service:ci', emails: [] });
      for (const m of [person, svc]) await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      const ids = async (q: Parameters<typeof h.store.listMembers>[1]) => (await h.store.listMembers(org.id, q)).items.map((m) => m.id);
      expect(await ids({})).toEqual([person.id, svc.id]);
      expect(await ids({ kinds: ['person'] })).toEqual([person.id]);
      expect(await ids({ kinds: ['service'], statuses: ['active'] })).toEqual([svc.id]);
      expect((await h.store.listMembers(org.id, { kinds: ['person'] })).total).toBe(1);
      await h.store.updateMember(org.id, svc.id, (m) => bump(m, { status: 'inactive' }));
      expect(await ids({ kinds: ['service'], statuses: ['inactive'] })).toEqual([svc.id]);
      expect(await ids({ kinds: ['person'], statuses: ['active', 'inactive'] })).toEqual([person.id]);
      expect((await h.store.listMembersAfter(org.id, { kinds: ['service'] })).items.map((m) => m.id)).toEqual([svc.id]);
    });
  });
}
