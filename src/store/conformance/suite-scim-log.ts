import { describe, expect, it } from '@jest/globals';
import type { ScimLogEntry } from '../../domain/scim-log.js';
import { codeOf, type StoreHarness } from './harness.js';
import { hoursFrom, NOW } from './fixtures.js';

function anEntry(orgId: string, overrides: Partial<ScimLogEntry> = {}): ScimLogEntry {
  return {
    orgId,
    at: NOW,
    method: 'GET',
    path: '/Users?filter=userName%20eq%20%22ann%40example.com%22',
    status: 200,
    latencyMs: 3.2,
    idp: 'okta',
    userAgent: 'Okta SCIM Client 1.0.0',
    credential: { id: 'tok-1', label: 'okta' },
    resource: { type: 'Users' },
    ...overrides,
  };
}

/** The SCIM request log: append in batches, newest-first cursor pages with filters, retention. */
export function scimLogConformance(h: StoreHarness): void {
  describe('SCIM request log', () => {
    it('when entries of two orgs are appended, then each org reads back only its own, newest first, with every field', async () => {
      const [a, b] = [await h.newOrg(), await h.newOrg()];
      const error = { status: '409', scimType: 'uniqueness', detail: 'userName taken' };
      await h.store.appendScimLog([
        anEntry(a.id, { path: '/Users/1' }),
        anEntry(b.id),
        anEntry(a.id, { method: 'POST', path: '/Users', status: 409, resource: { type: 'Users' }, requestBody: '{"userName":"ann"}', error }),
      ]);
      const page = await h.store.listScimLog(a.id, { limit: 10 });
      expect(page.next).toBeNull();
      expect(page.items.map((e) => e.path)).toEqual(['/Users', '/Users/1']);
      const { id, ...stored } = page.items[0]!;
      expect(typeof id).toBe('string');
      expect(stored).toEqual(anEntry(a.id, { method: 'POST', path: '/Users', status: 409, requestBody: '{"userName":"ann"}', error }));
      expect((await h.store.listScimLog(b.id, { limit: 10 })).items).toHaveLength(1);
    });

    it('when a log is read in pages, then the cursors walk every entry once, newest first, and the last page has no cursor', async () => {
      const org = await h.newOrg();
      await h.store.appendScimLog(Array.from({ length: 7 }, (_, i) => anEntry(org.id, { path: `/Users/${i}` })));
      const seen: string[] = [];
      let before: string | undefined;
      for (let n = 0; n < 10; n++) {
        const page = await h.store.listScimLog(org.id, { limit: 3, ...(before ? { before } : {}) });
        seen.push(...page.items.map((e) => e.path));
        if (!page.next) break;
        before = page.next;
      }
      expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `/Users/${i}`));
      // A page that ends exactly at the last entry says so (no empty page after it).
      const exact = await h.store.listScimLog(org.id, { limit: 7 });
      expect(exact.next).toBeNull();
    });

    it('when filters are given, then only entries matching all of them are listed and pages stay full', async () => {
      const org = await h.newOrg();
      await h.store.appendScimLog([
        anEntry(org.id, { at: hoursFrom(NOW, -3), status: 404, path: '/Users/old' }),
        anEntry(org.id, { status: 409, method: 'POST', path: '/Users' }),
        anEntry(org.id, { status: 200, method: 'PATCH', path: '/Groups/g', resource: { type: 'Groups', id: 'g' } }),
        anEntry(org.id, { status: 400, method: 'PATCH', path: '/Groups/g', resource: { type: 'Groups', id: 'g' } }),
        anEntry(org.id, { status: 401, path: '/Users', resource: { type: 'Users' } }),
      ]);
      const paths = async (q: Parameters<typeof h.store.listScimLog>[1]) => (await h.store.listScimLog(org.id, q)).items.map((e) => `${e.status} ${e.path}`);
      expect(await paths({ limit: 10, status: { from: 400, to: 499 } })).toEqual(['401 /Users', '400 /Groups/g', '409 /Users', '404 /Users/old']);
      expect(await paths({ limit: 10, status: { from: 409, to: 409 } })).toEqual(['409 /Users']);
      expect(await paths({ limit: 10, method: 'patch' })).toEqual(['400 /Groups/g', '200 /Groups/g']);
      expect(await paths({ limit: 10, resourceType: 'Groups', status: { from: 400, to: 499 } })).toEqual(['400 /Groups/g']);
      expect(await paths({ limit: 10, since: new Date(hoursFrom(NOW, -1)) })).toHaveLength(4);
      const first = await h.store.listScimLog(org.id, { limit: 2, status: { from: 400, to: 499 } });
      expect(first.items).toHaveLength(2);
      const second = await h.store.listScimLog(org.id, { limit: 2, status: { from: 400, to: 499 }, before: first.next! });
      expect(second.items.map((e) => e.status)).toEqual([409, 404]);
      expect(second.next).toBeNull();
    });

    it('when a cursor was not issued by the store, then the listing is refused as request.invalid', async () => {
      const org = await h.newOrg();
      expect(await codeOf(h.store.listScimLog(org.id, { limit: 5, before: 'abc;DROP' }))).toBe('request.invalid');
    });

    it('when retention runs, then entries older than the cutoff go and each org keeps only its newest maxPerOrg', async () => {
      const [a, b] = [await h.newOrg(), await h.newOrg()];
      await h.store.appendScimLog([
        ...Array.from({ length: 4 }, (_, i) => anEntry(a.id, { at: hoursFrom(NOW, -48 + i), path: `/old/${i}` })),
        ...Array.from({ length: 5 }, (_, i) => anEntry(a.id, { at: hoursFrom(NOW, i), path: `/new/${i}` })),
        ...Array.from({ length: 2 }, (_, i) => anEntry(b.id, { at: hoursFrom(NOW, i), path: `/b/${i}` })),
      ]);
      const dropped = await h.store.pruneScimLog({ before: new Date(hoursFrom(NOW, -24)), maxPerOrg: 3 });
      expect(dropped).toBe(4 + 2);
      expect((await h.store.listScimLog(a.id, { limit: 10 })).items.map((e) => e.path)).toEqual(['/new/4', '/new/3', '/new/2']);
      expect((await h.store.listScimLog(b.id, { limit: 10 })).items).toHaveLength(2);
      expect(await h.store.pruneScimLog({ before: new Date(hoursFrom(NOW, -24)), maxPerOrg: 3 })).toBe(0);
    });

    it('when retention drops some entries of a batch, then the others keep their ids and a cursor taken before walks on from where it was', async () => {
      const org = await h.newOrg();
      await h.store.appendScimLog(Array.from({ length: 8 }, (_, i) => anEntry(org.id, { at: hoursFrom(NOW, i < 2 ? -48 : i), path: `/Users/${i}`, status: i === 5 ? 409 : 200 })));
      const before = await h.store.listScimLog(org.id, { limit: 3 });
      expect(before.items.map((e) => e.path)).toEqual(['/Users/7', '/Users/6', '/Users/5']);

      // Two entries are past the age, and the count bound keeps five of the six left.
      expect(await h.store.pruneScimLog({ before: new Date(hoursFrom(NOW, -24)), maxPerOrg: 5 })).toBe(3);

      const again = await h.store.listScimLog(org.id, { limit: 3 });
      expect(again.items.map((e) => [e.id, e.path])).toEqual(before.items.map((e) => [e.id, e.path]));
      const rest = await h.store.listScimLog(org.id, { limit: 10, before: before.next! });
      expect(rest.items.map((e) => e.path)).toEqual(['/Users/4', '/Users/3']);
      expect(rest.next).toBeNull();
      expect((await h.store.listScimLog(org.id, { limit: 10, status: { from: 400, to: 499 } })).items.map((e) => e.id)).toEqual([before.items[2]!.id]);
    });

    it('when more entries are older than one retention batch, then all of them are dropped', async () => {
      const org = await h.newOrg();
      await h.store.appendScimLog(Array.from({ length: 1200 }, (_, i) => anEntry(org.id, { at: hoursFrom(NOW, -100 + i / 1000) })));
      await h.store.appendScimLog([anEntry(org.id, { path: '/kept' })]);
      expect(await h.store.pruneScimLog({ before: new Date(hoursFrom(NOW, -1)), maxPerOrg: 100_000 })).toBe(1200);
      expect((await h.store.listScimLog(org.id, { limit: 10 })).items.map((e) => e.path)).toEqual(['/kept']);
    });
  });
}
