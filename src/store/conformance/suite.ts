import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Member } from '../../domain/model.js';
import { verifyChain } from '../../ports/audit-chain.js';
import { PROVIDER_SCOPE, type Store } from '../../ports/store.js';
import { aMember, anOrg, aTeam, draft } from './fixtures.js';
import { codeOf, type StoreFactory } from './harness.js';

export type { StoreFactory } from './harness.js';

const bump = (m: Member, change: Partial<Member>) => ({ next: { ...m, ...change }, audit: draft(m.orgId, 'member.updated', m.id) });

/**
 * The storage contract, run against every backend (dex's storage/conformance pattern). Each
 * backend's test file only supplies a factory.
 */
export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    let store: Store;
    let dispose: () => Promise<void>;

    beforeEach(async () => {
      ({ store, dispose } = await factory());
    });
    afterEach(async () => {
      await dispose();
    });

    async function newOrg() {
      const org = anOrg();
      await store.createOrg(org, draft(org.id, 'org.created', org.id));
      return org;
    }

    describe('organizations', () => {
      it('when orgs are created, then they are listed in creation order and can be fetched', async () => {
        const a = await newOrg();
        const b = await newOrg();
        expect(await store.getOrg(a.id)).toEqual(a);
        const page = await store.listOrgs();
        expect(page.items.map((o) => o.id)).toEqual([a.id, b.id]);
        expect(page.total).toBe(2);
        expect(await store.getOrg('nope')).toBeUndefined();
      });

      it('when an org is updated, then its version grows by one and a stale ifVersion is refused', async () => {
        const org = await newOrg();
        const res = await store.updateOrg(org.id, (o) => ({ next: { ...o, name: 'Renamed' }, audit: draft(o.id, 'org.updated', o.id) }));
        expect(res.changed).toBe(true);
        expect(res.record.version).toBe(2);
        expect((await store.getOrg(org.id))?.name).toBe('Renamed');
        expect(await codeOf(store.updateOrg(org.id, (o) => ({ next: o, audit: draft(o.id, 'org.updated', o.id) }), { ifVersion: 1 }))).toBe(
          'version.mismatch',
        );
        expect(await codeOf(store.updateOrg('missing', (o) => ({ next: o, audit: draft('x', 'org.updated', 'x') })))).toBe('org.not_found');
      });
    });

    describe('members', () => {
      it('when a member is created, then it can be read back only within its own org', async () => {
        const org = await newOrg();
        const other = await newOrg();
        const m = aMember(org.id, { externalId: 'ext-1' });
        await store.createMember(m, draft(org.id, 'member.created', m.id));
        expect(await store.getMember(org.id, m.id)).toEqual(m);
        expect(await store.getMember(other.id, m.id)).toBeUndefined();
        expect(await store.findMemberByUserName(other.id, m.userName)).toBeUndefined();
        expect(await codeOf(store.createMember(aMember('no-such-org'), draft('no-such-org', 'member.created', 'x')))).toBe('org.not_found');
      });

      it('when 100 creates of one userName race with different cases, then exactly one wins', async () => {
        const org = await newOrg();
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) => codeOf(store.createMember(aMember(org.id, { userName: i % 2 ? 'Race@Example.com' : 'race@example.COM' }), draft(org.id, 'member.created', `m${i}`)))),
        );
        expect(results.filter((r) => r === 'ok')).toHaveLength(1);
        expect(results.filter((r) => r === 'member.user_name_taken')).toHaveLength(99);
        expect((await store.listMembers(org.id)).total).toBe(1);
        // Only the winning write reached the audit trail.
        expect(await store.listAudit(org.id)).toHaveLength(2);
      });

      it('when looked up by userName, externalId or email, then the index answers case-insensitively and follows updates', async () => {
        const org = await newOrg();
        const m = aMember(org.id, { userName: 'Grace.Hopper@Example.com', externalId: 'okta-42', emails: [{ value: 'Grace@Navy.mil', type: 'work' }, { value: 'gh@home.example' }] });
        await store.createMember(m, draft(org.id, 'member.created', m.id));
        expect((await store.findMemberByUserName(org.id, 'grace.hopper@example.COM'))?.id).toBe(m.id);
        expect((await store.findMemberByUserName(org.id, 'grace.hopper@example.COM'))?.userName).toBe('Grace.Hopper@Example.com');
        expect((await store.findMembersByExternalId(org.id, 'okta-42')).map((x) => x.id)).toEqual([m.id]);
        expect((await store.findMembersByEmail(org.id, 'grace@navy.MIL')).map((x) => x.id)).toEqual([m.id]);
        expect((await store.findMembersByEmail(org.id, 'gh@home.example')).map((x) => x.id)).toEqual([m.id]);

        await store.updateMember(org.id, m.id, (cur) => bump(cur, { userName: 'ghopper', externalId: 'okta-43', emails: [{ value: 'new@navy.mil' }] }));
        expect(await store.findMemberByUserName(org.id, 'Grace.Hopper@Example.com')).toBeUndefined();
        expect((await store.findMemberByUserName(org.id, 'GHOPPER'))?.id).toBe(m.id);
        expect(await store.findMembersByExternalId(org.id, 'okta-42')).toEqual([]);
        expect((await store.findMembersByExternalId(org.id, 'okta-43')).map((x) => x.id)).toEqual([m.id]);
        expect(await store.findMembersByEmail(org.id, 'grace@navy.mil')).toEqual([]);
        expect((await store.findMembersByEmail(org.id, 'NEW@navy.mil')).map((x) => x.id)).toEqual([m.id]);
      });

      it('when a member is renamed onto a taken userName, then the update is refused and nothing is written', async () => {
        const org = await newOrg();
        const a = aMember(org.id, { userName: 'a@x.io' });
        const b = aMember(org.id, { userName: 'b@x.io' });
        await store.createMember(a, draft(org.id, 'member.created', a.id));
        await store.createMember(b, draft(org.id, 'member.created', b.id));
        const before = (await store.listAudit(org.id)).length;
        expect(await codeOf(store.updateMember(org.id, b.id, (cur) => bump(cur, { userName: 'A@X.IO' })))).toBe('member.user_name_taken');
        expect((await store.getMember(org.id, b.id))?.version).toBe(1);
        expect(await store.listAudit(org.id)).toHaveLength(before);
      });

      it('when a member is removed, then it stays as a tombstone and frees its userName and lookups', async () => {
        const org = await newOrg();
        const m = aMember(org.id, { userName: 'gone@x.io', externalId: 'e1' });
        await store.createMember(m, draft(org.id, 'member.created', m.id));
        await store.updateMember(org.id, m.id, (cur) => bump(cur, { status: 'removed', removedAt: '2026-01-02T00:00:00.000Z' }));
        expect((await store.getMember(org.id, m.id))?.status).toBe('removed');
        expect(await store.findMemberByUserName(org.id, 'gone@x.io')).toBeUndefined();
        expect(await store.findMembersByExternalId(org.id, 'e1')).toEqual([]);
        expect(await store.findMembersByEmail(org.id, 'gone@x.io')).toEqual([]);
        const again = aMember(org.id, { userName: 'GONE@x.io' });
        await store.createMember(again, draft(org.id, 'member.created', again.id));
        expect((await store.listMembers(org.id, { statuses: ['removed'] })).items.map((x) => x.id)).toEqual([m.id]);
        expect((await store.listMembers(org.id, { statuses: ['active'] })).items.map((x) => x.id)).toEqual([again.id]);
        expect((await store.listMembers(org.id)).total).toBe(2);
      });

      it('when updates race without ifVersion, then none is lost; with a stale ifVersion, it is refused', async () => {
        const org = await newOrg();
        const m = aMember(org.id, { attributes: { n: 0 } });
        await store.createMember(m, draft(org.id, 'member.created', m.id));
        await Promise.all(
          Array.from({ length: 50 }, () => store.updateMember(org.id, m.id, (cur) => bump(cur, { attributes: { n: (cur.attributes.n as number) + 1 } }))),
        );
        const after = await store.getMember(org.id, m.id);
        expect(after?.attributes.n).toBe(50);
        expect(after?.version).toBe(51);
        expect(await codeOf(store.updateMember(org.id, m.id, (cur) => bump(cur, { displayName: 'x' }), { ifVersion: 50 }))).toBe('version.mismatch');
        const ok = await store.updateMember(org.id, m.id, (cur) => bump(cur, { displayName: 'x' }), { ifVersion: 51 });
        expect(ok.record.version).toBe(52);
      });

      it('when an updater returns null, then nothing is written and no audit event is appended', async () => {
        const org = await newOrg();
        const m = aMember(org.id);
        await store.createMember(m, draft(org.id, 'member.created', m.id));
        const res = await store.updateMember(org.id, m.id, () => null);
        expect(res).toEqual({ record: m, changed: false });
        expect(await store.listAudit(org.id)).toHaveLength(2);
        expect(await codeOf(store.updateMember(org.id, 'missing', () => null))).toBe('member.not_found');
      });

      it('when the last active owner would be deactivated or demoted, then the store refuses atomically', async () => {
        const org = await newOrg();
        const o1 = aMember(org.id, { role: 'owner' });
        const o2 = aMember(org.id, { role: 'owner' });
        await store.createMember(o1, draft(org.id, 'member.created', o1.id));
        expect(await codeOf(store.updateMember(org.id, o1.id, (cur) => bump(cur, { status: 'inactive' })))).toBe('member.last_owner');
        expect(await codeOf(store.updateMember(org.id, o1.id, (cur) => bump(cur, { role: 'admin' })))).toBe('member.last_owner');
        await store.createMember(o2, draft(org.id, 'member.created', o2.id));
        const both = await Promise.all([o1, o2].map((o) => codeOf(store.updateMember(org.id, o.id, (cur) => bump(cur, { status: 'removed' })))));
        expect(both.sort()).toEqual(['member.last_owner', 'ok']);
        expect((await store.listMembers(org.id, { roles: ['owner'], statuses: ['active'] })).total).toBe(1);
      });

      it('when members are paged, then the order is stable and totals are exact', async () => {
        const org = await newOrg();
        const ids: string[] = [];
        for (let i = 0; i < 25; i++) {
          const m = aMember(org.id);
          ids.push(m.id);
          await store.createMember(m, draft(org.id, 'member.created', m.id));
        }
        const seen: string[] = [];
        for (let offset = 0; offset < 25; offset += 10) {
          const page = await store.listMembers(org.id, { offset, limit: 10 });
          expect(page.total).toBe(25);
          seen.push(...page.items.map((m) => m.id));
        }
        expect(seen).toEqual(ids);
        const past = await store.listMembers(org.id, { offset: 100, limit: 10 });
        expect(past).toEqual({ items: [], total: 25 });
        // An update does not move a member in the order.
        await store.updateMember(org.id, ids[0]!, (cur) => bump(cur, { displayName: 'moved?' }));
        expect((await store.listMembers(org.id, { limit: 1 })).items[0]?.id).toBe(ids[0]);
      });

      it('when members are filtered by several statuses and roles, then pages keep creation order and totals are exact', async () => {
        const org = await newOrg();
        const all: Member[] = [];
        for (let i = 0; i < 18; i++) {
          const m = aMember(org.id, { role: (['owner', 'admin', 'member'] as const)[i % 3]!, status: (['active', 'inactive', 'removed'] as const)[Math.floor(i / 2) % 3]! });
          all.push(m);
          await store.createMember(m, draft(org.id, 'member.created', m.id));
        }
        const want = all.filter((m) => m.role !== 'member' && m.status !== 'removed').map((m) => m.id);
        const seen: string[] = [];
        for (let offset = 0; offset < want.length; offset += 4) {
          const page = await store.listMembers(org.id, { statuses: ['inactive', 'active'], roles: ['admin', 'owner'], offset, limit: 4 });
          expect(page.total).toBe(want.length);
          seen.push(...page.items.map((m) => m.id));
        }
        expect(seen).toEqual(want);
        expect(await store.listMembers(org.id, { roles: ['member'], limit: 0 })).toEqual({ items: [], total: 6 });
      });
    });

    describe('teams', () => {
      it('when teams are created with one name in different cases concurrently, then exactly one wins', async () => {
        const org = await newOrg();
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => codeOf(store.createTeam(aTeam(org.id, { displayName: i % 2 ? 'Engineering' : 'ENGINEERING' }), draft(org.id, 'team.created', `t${i}`)))),
        );
        expect(results.filter((r) => r === 'ok')).toHaveLength(1);
        expect(results.filter((r) => r === 'team.name_taken')).toHaveLength(19);
        expect((await store.findTeamByName(org.id, 'engineering'))?.displayName).toMatch(/^engineering$/i);
      });

      it('when members are added and removed as deltas concurrently, then the set is exact and no-ops write nothing', async () => {
        const org = await newOrg();
        const team = aTeam(org.id);
        await store.createTeam(team, draft(org.id, 'team.created', team.id));
        const ids = Array.from({ length: 60 }, (_, i) => `member-${i}`);
        const added = await Promise.all(ids.map((id) => store.addTeamMembers(org.id, team.id, [id], draft(org.id, 'team.members_added', team.id))));
        expect(added.flat().sort()).toEqual([...ids].sort());
        const page = await store.listTeamMembers(org.id, team.id, { offset: 0, limit: 1000 });
        expect(page.total).toBe(60);
        expect(new Set(page.items)).toEqual(new Set(ids));

        const auditBefore = (await store.listAudit(org.id)).length;
        expect(await store.addTeamMembers(org.id, team.id, ['member-1', 'member-1'], draft(org.id, 'team.members_added', team.id))).toEqual([]);
        expect(await store.listAudit(org.id)).toHaveLength(auditBefore);

        const removed = await Promise.all(ids.slice(0, 30).map((id) => store.removeTeamMembers(org.id, team.id, [id, 'never-there'], draft(org.id, 'team.members_removed', team.id))));
        expect(removed.flat().sort()).toEqual(ids.slice(0, 30).sort());
        expect((await store.listTeamMembers(org.id, team.id)).total).toBe(30);
        expect(await store.listMemberTeams(org.id, 'member-45')).toEqual([team.id]);
        expect(await store.listMemberTeams(org.id, 'member-5')).toEqual([]);
      });

      it("when a team's members are paged, then pages follow the order they were added, with the team's total and nothing of another team", async () => {
        const org = await newOrg();
        const t = aTeam(org.id, { displayName: 'Paged' });
        const other = aTeam(org.id, { displayName: 'Other' });
        await store.createTeam(t, draft(org.id, 'team.created', t.id));
        await store.createTeam(other, draft(org.id, 'team.created', other.id));
        const ids = Array.from({ length: 25 }, (_, i) => `member-${String(24 - i).padStart(2, '0')}`);
        for (const id of ids) {
          await store.addTeamMembers(org.id, t.id, [id], draft(org.id, 'team.members_added', t.id));
          await store.addTeamMembers(org.id, other.id, [`x-${id}`], draft(org.id, 'team.members_added', other.id));
        }
        const pages = [];
        for (let offset = 0; offset < 30; offset += 10) pages.push(await store.listTeamMembers(org.id, t.id, { offset, limit: 10 }));
        expect(pages.map((p) => p.total)).toEqual([25, 25, 25]);
        expect(pages.flatMap((p) => p.items)).toEqual(ids);
        expect(await store.listTeamMembers(org.id, t.id, { offset: 0, limit: 0 })).toEqual({ items: [], total: 25 });
        expect(await store.listTeamMembers(org.id, t.id, { offset: 40, limit: 10 })).toEqual({ items: [], total: 25 });
        expect(await store.listTeamMembers((await newOrg()).id, t.id)).toEqual({ items: [], total: 0 });
      });

      it('when a team is renamed or deleted, then lookups follow and its membership goes with it', async () => {
        const org = await newOrg();
        const t = aTeam(org.id, { displayName: 'Ops' });
        const u = aTeam(org.id, { displayName: 'Dev' });
        await store.createTeam(t, draft(org.id, 'team.created', t.id));
        await store.createTeam(u, draft(org.id, 'team.created', u.id));
        expect(await codeOf(store.updateTeam(org.id, u.id, (cur) => ({ next: { ...cur, displayName: 'OPS' }, audit: draft(org.id, 'team.updated', cur.id) })))).toBe(
          'team.name_taken',
        );
        await store.updateTeam(org.id, t.id, (cur) => ({ next: { ...cur, displayName: 'SRE' }, audit: draft(org.id, 'team.updated', cur.id) }));
        expect((await store.findTeamByName(org.id, 'sre'))?.id).toBe(t.id);
        expect(await store.findTeamByName(org.id, 'ops')).toBeUndefined();
        await store.addTeamMembers(org.id, t.id, ['m1'], draft(org.id, 'team.members_added', t.id));
        await store.deleteTeam(org.id, t.id, draft(org.id, 'team.deleted', t.id));
        expect(await store.getTeam(org.id, t.id)).toBeUndefined();
        expect(await store.listMemberTeams(org.id, 'm1')).toEqual([]);
        expect((await store.listTeams(org.id)).items.map((x) => x.id)).toEqual([u.id]);
        expect(await codeOf(store.deleteTeam(org.id, t.id, draft(org.id, 'team.deleted', t.id)))).toBe('team.not_found');
      });
    });

    describe('audit and outbox', () => {
      it('when changes happen, then each appends one chained audit event and one outbox record with the same id', async () => {
        const org = await newOrg();
        const m = aMember(org.id);
        await store.createMember(m, draft(org.id, 'member.created', m.id, { after: { status: 'active', note: undefined } }));
        await store.updateMember(org.id, m.id, (cur) => ({ next: { ...cur, status: 'inactive' }, audit: draft(org.id, 'member.deactivated', m.id, { reason: 'left' }) }));
        const events = await store.listAudit(org.id);
        expect(events.map((e) => [e.seq, e.action])).toEqual([
          [1, 'org.created'],
          [2, 'member.created'],
          [3, 'member.deactivated'],
        ]);
        expect(verifyChain(events).ok).toBe(true);
        const outbox = await store.listOutbox(org.id);
        expect(outbox.map((o) => o.id)).toEqual(events.map((e) => e.id));
        expect(outbox[2]).toMatchObject({ type: 'member.deactivated', payload: { reason: 'left', target: { id: m.id } } });
        expect(await store.listAudit(org.id, { afterSeq: 2 })).toEqual([events[2]]);
      });

      it('when many writers append concurrently, then the chain stays contiguous and valid', async () => {
        const org = await newOrg();
        await Promise.all(Array.from({ length: 40 }, (_, i) => store.appendAudit(draft(org.id, 'test.event', `t${i}`))));
        const events = await store.listAudit(org.id);
        expect(events).toHaveLength(41);
        expect(verifyChain(events)).toMatchObject({ ok: true, head: { seq: 41 } });
      });

      it('when provider-level events are appended, then they form their own chain', async () => {
        const e = await store.appendAudit(draft(PROVIDER_SCOPE, 'admin_key.created', 'k1'));
        expect(e.seq).toBe(1);
        expect(verifyChain(await store.listAudit(PROVIDER_SCOPE)).ok).toBe(true);
      });
    });

    describe('credentials', () => {
      it('when SCIM tokens are created, then they are found by hash, limited to two live, and revocable', async () => {
        const org = await newOrg();
        const tok = (id: string) => ({ id, orgId: org.id, prefix: 'scim_abc', hash: `hash-${id}`, createdAt: '2026-01-01T00:00:00.000Z' });
        await store.createScimToken(tok('t1'), draft(org.id, 'scim_token.created', 't1'), 2);
        await store.createScimToken(tok('t2'), draft(org.id, 'scim_token.created', 't2'), 2);
        expect(await codeOf(store.createScimToken(tok('t3'), draft(org.id, 'scim_token.created', 't3'), 2))).toBe('token.limit_reached');
        expect((await store.findScimTokenByHash('hash-t1'))?.id).toBe('t1');
        const revoked = await store.revokeScimToken(org.id, 't1', '2026-01-03T00:00:00.000Z', draft(org.id, 'scim_token.revoked', 't1'));
        expect(revoked.revokedAt).toBe('2026-01-03T00:00:00.000Z');
        expect((await store.findScimTokenByHash('hash-t1'))?.revokedAt).toBeDefined();
        await store.createScimToken(tok('t3'), draft(org.id, 'scim_token.created', 't3'), 2);
        expect((await store.listScimTokens(org.id)).map((t) => t.id)).toEqual(['t1', 't2', 't3']);
        expect(await codeOf(store.revokeScimToken(org.id, 'nope', 'x', draft(org.id, 'scim_token.revoked', 'nope')))).toBe('token.not_found');
      });

      it('when a credential is refused, then its hash finds nothing', async () => {
        const org = await newOrg();
        const tok = (id: string) => ({ id, orgId: org.id, prefix: 'scim_abc', hash: `hash-${id}`, createdAt: '2026-01-01T00:00:00.000Z' });
        expect(await codeOf(store.createScimToken(tok('t1'), draft(org.id, 'scim_token.created', 't1'), 0))).toBe('token.limit_reached');
        expect(await store.findScimTokenByHash('hash-t1')).toBeUndefined();
        expect(await store.listScimTokens(org.id)).toEqual([]);
        const key = { id: 'k9', orgId: 'no-such-org', prefix: 'idsk_abc', hash: 'h-k9', createdAt: '2026-01-01T00:00:00.000Z' };
        expect(await codeOf(store.createAdminKey(key, draft('no-such-org', 'admin_key.created', 'k9')))).toBe('org.not_found');
        expect(await store.findAdminKeyByHash('h-k9')).toBeUndefined();
        expect(await store.listAdminKeys()).toEqual([]);
        expect(await codeOf(store.revokeAdminKey('k9', '2026-01-05T00:00:00.000Z', draft('no-such-org', 'admin_key.revoked', 'k9')))).toBe('token.not_found');
      });

      it('when admin keys are created provider-wide and per org, then each is found by hash and listed by scope', async () => {
        const org = await newOrg();
        const key = (id: string, orgId?: string) => ({ id, ...(orgId ? { orgId } : {}), prefix: 'idsk_abc', hash: `h-${id}`, createdAt: '2026-01-01T00:00:00.000Z' });
        await store.createAdminKey(key('k1'), draft(PROVIDER_SCOPE, 'admin_key.created', 'k1'));
        await store.createAdminKey(key('k2', org.id), draft(org.id, 'admin_key.created', 'k2'));
        expect((await store.findAdminKeyByHash('h-k1'))?.orgId).toBeUndefined();
        expect((await store.findAdminKeyByHash('h-k2'))?.orgId).toBe(org.id);
        expect((await store.listAdminKeys()).map((k) => k.id)).toEqual(['k1', 'k2']);
        expect((await store.listAdminKeys(org.id)).map((k) => k.id)).toEqual(['k2']);
        const r = await store.revokeAdminKey('k2', '2026-01-05T00:00:00.000Z', draft(org.id, 'admin_key.revoked', 'k2'));
        expect(r.revokedAt).toBe('2026-01-05T00:00:00.000Z');
        expect((await store.findAdminKeyByHash('h-k2'))?.revokedAt).toBe('2026-01-05T00:00:00.000Z');
      });
    });

    describe('leases', () => {
      it('when replicas race for a lease, then exactly one holds it until it expires; the holder may renew', async () => {
        // A long TTL for the race itself: a slow backend must not see the lease expire mid-race.
        const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => store.tryAcquireLease('tick:c1:1', `replica-${i}`, 30_000)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        const winner = `replica-${wins.indexOf(true)}`;
        expect(await store.tryAcquireLease('tick:c1:1', winner, 30_000)).toBe(true);
        expect(await store.tryAcquireLease('tick:c1:1', 'someone-else', 30_000)).toBe(false);
        expect(await store.tryAcquireLease('tick:c1:2', 'someone-else', 30_000)).toBe(true);
        expect(await store.tryAcquireLease('tick:c1:3', 'first', 100)).toBe(true);
        await new Promise((r) => setTimeout(r, 250));
        expect(await store.tryAcquireLease('tick:c1:3', 'second', 100)).toBe(true);
      });
    });
  });
}
