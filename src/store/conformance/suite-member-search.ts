import { describe, expect, it } from '@jest/globals';
import type { Member } from '../../domain/model.js';
import { aMember, draft } from './fixtures.js';
import type { StoreHarness } from './harness.js';

/** The bounded text search over members (the console's search box). */
export function memberSearchConformance(h: StoreHarness): void {
  describe('member search', () => {
    it('when members are searched by part of a name, userName or email, then matches come in creation order, ASCII case folded, with the filters applied', async () => {
      const org = await h.newOrg();
      const make = async (over: Partial<Member>) => {
        const m = aMember(org.id, over);
        await h.store.createMember(m, draft(org.id, 'member.created', m.id));
        return m;
      };
      const ada = await make({ userName: 'ada@math.example', name: { givenName: 'Ada', familyName: 'Lovelace' }, emails: [{ value: 'ada@math.example', primary: true }, { value: 'countess@old.example' }] });
      const grace = await make({ userName: 'grace@navy.example', name: { givenName: 'Grace', familyName: 'Hopper' }, displayName: 'Amazing Grace', emails: [{ value: 'grace@navy.example', primary: true }] });
      const asa = await make({ userName: 'asa@nordic.example', name: { givenName: 'Åsa', familyName: 'Öberg' }, emails: [{ value: 'asa@nordic.example', primary: true }] });
      const gone = await make({ userName: 'lovelace2@math.example', name: { givenName: 'Byron', familyName: 'Lovelace' }, emails: [{ value: 'lovelace2@math.example', primary: true }], status: 'inactive' });
      const live = { statuses: ['active', 'inactive'] as Member['status'][] };
      const ids = async (text: string, extra: object = live) => (await h.store.searchMembers(org.id, { ...extra, text, scan: 100, limit: 10 })).items.map((m) => m.id);

      expect(await ids('LOVE')).toEqual([ada.id, gone.id]);
      expect(await ids('ada lovelace')).toEqual([ada.id]);
      expect(await ids('countess@old')).toEqual([ada.id]);
      expect(await ids('amazing')).toEqual([grace.id]);
      // Words of the stored record that are not searched fields find nothing.
      expect(await ids('givenname')).toEqual([]);
      expect(await ids('active')).toEqual([]);
      expect(await ids('lovelace', { statuses: ['active'] })).toEqual([ada.id]);
      // Only ASCII letters fold: "Åsa" is found as typed, not by "åsa".
      expect(await ids('Åsa')).toEqual([asa.id]);
      expect(await ids('åsa')).toEqual([]);
      expect(await h.store.searchMembers(org.id, { ...live, text: 'nobody', scan: 100, limit: 10 })).toEqual({ items: [] });
    });

    it('when a person and a service account match the same search, then kinds selects either, and no kinds finds both as listMembers does', async () => {
      const org = await h.newOrg();
      const svc = aMember(org.id, { kind: 'service', userName: 'service:ledger-sync', name: { givenName: 'Ledger', familyName: 'Sync' }, emails: [] });
      await h.store.createMember(svc, draft(org.id, 'member.created', svc.id));
      const person = aMember(org.id, { userName: 'ledger@books.example', name: { givenName: 'Lena', familyName: 'Ledger' }, emails: [{ value: 'ledger@books.example', primary: true }] });
      await h.store.createMember(person, draft(org.id, 'member.created', person.id));
      const ids = async (extra: object) => (await h.store.searchMembers(org.id, { ...extra, text: 'ledger', scan: 100, limit: 10 })).items.map((m) => m.id);

      expect(await ids({ kinds: ['person'] })).toEqual([person.id]);
      expect(await ids({ kinds: ['service'] })).toEqual([svc.id]);
      expect(await ids({ kinds: ['person'], statuses: ['active'] })).toEqual([person.id]);
      // The default is every kind, as listMembers' is.
      expect((await h.store.listMembers(org.id)).items.map((m) => m.id)).toEqual([svc.id, person.id]);
      expect(await ids({})).toEqual([svc.id, person.id]);
      expect(await ids({ kinds: ['person', 'service'] })).toEqual([svc.id, person.id]);
      // The filter is applied while scanning: a page that fills up with people stops after the last person.
      const one = await h.store.searchMembers(org.id, { kinds: ['person'], text: 'ledger', scan: 100, limit: 1 });
      expect(one.items.map((m) => m.id)).toEqual([person.id]);
    });

    it('when a search reads at most a few members per call, then following next visits every match once and each call stays within its scan', async () => {
      const org = await h.newOrg();
      const all: Member[] = [];
      for (let i = 0; i < 23; i++) {
        const m = aMember(org.id, { userName: `u${i}@walk.example`, name: { givenName: i % 3 === 0 ? 'Match' : 'Other', familyName: String(i) }, emails: [{ value: `u${i}@walk.example`, primary: true }] });
        await h.store.createMember(m, draft(org.id, 'member.created', m.id));
        all.push(m);
      }
      const expected = all.filter((_, i) => i % 3 === 0).map((m) => m.id);
      const seen: string[] = [];
      let after: string | undefined;
      let calls = 0;
      do {
        const r = await h.store.searchMembers(org.id, { text: 'match', scan: 5, limit: 3, ...(after ? { after } : {}) });
        expect(r.items.length).toBeLessThanOrEqual(3);
        seen.push(...r.items.map((m) => m.id));
        after = r.next;
        calls += 1;
      } while (after && calls < 50);
      expect(seen).toEqual(expected);
      // 23 members at most 5 per call: at least 5 calls, and the walk ends.
      expect(calls).toBeGreaterThanOrEqual(5);
      expect(calls).toBeLessThan(50);
    });
  });
}
