import { describe, expect, it } from '@jest/globals';
import type { Member, Role } from '../../domain/model.js';
import { verifyChain } from '../../ports/audit-chain.js';
import type { MemberBatchItem } from '../../ports/store.js';
import { aMember, draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const toRole = (id: string, role: Role): MemberBatchItem => ({ id, updater: (cur: Member) => (cur.role === role ? null : { next: { ...cur, role }, audit: draft(cur.orgId, 'member.role_changed', cur.id, { after: { role } }) }) });

/** updateMembers: many member writes in one transaction, all or nothing, each with its audit event and outbox record. */
export function memberBatchConformance(h: StoreHarness): void {
  describe('member batches', () => {
    async function members(orgId: string, roles: Role[]): Promise<Member[]> {
      const out: Member[] = [];
      for (const role of roles) {
        const m = aMember(orgId, { role });
        await h.store.createMember(m, draft(orgId, 'member.created', m.id));
        out.push(m);
      }
      return out;
    }

    it('when a batch changes 50 roles, then each is written with its version bumped and one chained audit event and outbox record, in order', async () => {
      const org = await h.newOrg();
      const ms = await members(org.id, Array.from({ length: 51 }, () => 'member' as Role));
      let results: Awaited<ReturnType<typeof h.store.updateMembers>> = [];
      const appended = await h.auditDelta(org.id, async () => {
        results = await h.store.updateMembers(org.id, [...ms.slice(0, 50).map((m) => toRole(m.id, 'admin')), toRole(ms[50]!.id, 'member')]);
      });
      expect(appended).toBe(50);
      expect(results.map((r) => r.changed)).toEqual([...Array(50).fill(true), false]);
      expect(results[0]!.record).toMatchObject({ id: ms[0]!.id, role: 'admin', version: 2 });
      expect(results[50]!.record).toEqual(ms[50]);
      expect((await h.store.listMembers(org.id, { roles: ['admin'] })).total).toBe(50);
      expect((await h.store.getMember(org.id, ms[49]!.id))?.role).toBe('admin');
      const events = await h.store.listAudit(org.id);
      expect(verifyChain(events).ok).toBe(true);
      expect(events.slice(-50).map((e) => e.target?.id)).toEqual(ms.slice(0, 50).map((m) => m.id));
    });

    it('when a batch would leave no active owner, then it fails with member.last_owner and writes nothing; earlier items of the batch count', async () => {
      const org = await h.newOrg();
      const [o1, o2, m] = await members(org.id, ['owner', 'owner', 'member']);
      const before = await h.store.listAudit(org.id);
      expect(await codeOf(h.store.updateMembers(org.id, [toRole(o1!.id, 'admin'), toRole(m!.id, 'admin'), toRole(o2!.id, 'member')]))).toBe('member.last_owner');
      expect(await h.store.listAudit(org.id)).toHaveLength(before.length);
      expect((await h.store.getMember(org.id, o1!.id))?.role).toBe('owner');
      expect((await h.store.getMember(org.id, m!.id))?.role).toBe('member');
      // Promoted first, then the two demoted: an owner is left at each step.
      expect(await codeOf(h.store.updateMembers(org.id, [toRole(m!.id, 'owner'), toRole(o1!.id, 'admin'), toRole(o2!.id, 'admin')]))).toBe('ok');
      expect((await h.store.listMembers(org.id, { roles: ['owner'], statuses: ['active'] })).items.map((x) => x.id)).toEqual([m!.id]);
      // The other order demotes the last owner before anyone is promoted.
      expect(await codeOf(h.store.updateMembers(org.id, [toRole(m!.id, 'member'), toRole(o1!.id, 'owner')]))).toBe('member.last_owner');
      expect(verifyChain(await h.store.listAudit(org.id)).ok).toBe(true);
    });

    it('when one item names a missing member or an id twice, then nothing of the batch is written', async () => {
      const org = await h.newOrg();
      const [a] = await members(org.id, ['member']);
      expect(await codeOf(h.store.updateMembers(org.id, [toRole(a!.id, 'admin'), toRole('missing', 'admin')]))).toBe('member.not_found');
      expect(await codeOf(h.store.updateMembers(org.id, [toRole(a!.id, 'admin'), toRole(a!.id, 'owner')]))).toBe('internal');
      expect((await h.store.getMember(org.id, a!.id))?.version).toBe(1);
      expect(await h.store.updateMembers(org.id, [])).toEqual([]);
    });

    it('when a batch races single updates of its members, then no update is lost (the batch re-reads and runs its updaters again)', async () => {
      const org = await h.newOrg();
      const ms = await members(org.id, ['member', 'member', 'member', 'member']);
      const tick = (cur: Member) => ({ next: { ...cur, displayName: `${cur.displayName ?? ''}s` }, audit: draft(cur.orgId, 'member.updated', cur.id) });
      const batchTick = (cur: Member) => ({ next: { ...cur, displayName: `${cur.displayName ?? ''}b` }, audit: draft(cur.orgId, 'member.updated', cur.id) });
      await Promise.all([
        ...ms.flatMap((m) => Array.from({ length: 3 }, () => h.store.updateMember(org.id, m.id, tick))),
        h.store.updateMembers(org.id, ms.map((m) => ({ id: m.id, updater: batchTick }))),
        h.store.updateMembers(org.id, ms.map((m) => ({ id: m.id, updater: batchTick }))),
      ]);
      for (const m of ms) {
        const now = (await h.store.getMember(org.id, m.id))!;
        expect(now.version).toBe(6);
        expect([...(now.displayName ?? '')].sort().join('')).toBe('bbsss');
      }
      expect(verifyChain(await h.store.listAudit(org.id)).ok).toBe(true);
    });
  });
}
