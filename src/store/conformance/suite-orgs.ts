import { describe, expect, it } from '@jest/globals';
import { draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

/** Organizations. */
export function orgConformance(h: StoreHarness): void {
  describe('organizations', () => {
    it('when orgs are created, then they are listed in creation order and can be fetched', async () => {
      const a = await h.newOrg();
      const b = await h.newOrg();
      expect(await h.store.getOrg(a.id)).toEqual(a);
      const page = await h.store.listOrgs();
      expect(page.items.map((o) => o.id)).toEqual([a.id, b.id]);
      expect(page.total).toBe(2);
      expect(await h.store.getOrg('nope')).toBeUndefined();
    });

    it('when an org is updated, then its version grows by one and a stale ifVersion is refused', async () => {
      const org = await h.newOrg();
      const res = await h.store.updateOrg(org.id, (o) => ({ next: { ...o, name: 'Renamed' }, audit: draft(o.id, 'org.updated', o.id) }));
      expect(res.changed).toBe(true);
      expect(res.record.version).toBe(2);
      expect((await h.store.getOrg(org.id))?.name).toBe('Renamed');
      expect(await codeOf(h.store.updateOrg(org.id, (o) => ({ next: o, audit: draft(o.id, 'org.updated', o.id) }), { ifVersion: 1 }))).toBe(
        'version.mismatch',
      );
      expect(await codeOf(h.store.updateOrg('missing', (o) => ({ next: o, audit: draft('x', 'org.updated', 'x') })))).toBe('org.not_found');
    });
  });
}
