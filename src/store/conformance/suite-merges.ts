import { describe, expect, it } from '@jest/globals';
import type { MergeJournal } from '../../ports/store.js';
import { codeOf, type StoreHarness } from './harness.js';

function aJournal(sourceOrgId: string, targetOrgId: string): MergeJournal {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    sourceOrgId,
    targetOrgId,
    status: 'running',
    plan: { sourceOrgId, targetOrgId, blockers: [], members: [], teams: [], invitations: [], links: [], connections: [], credentials: [], audit: [] },
    done: [],
    startedAt: at,
    updatedAt: at,
    version: 1,
  };
}

/** Merge journals: one per source org, never replaced, updated by compare-and-swap without audit. */
export function mergeConformance(h: StoreHarness): void {
  describe('merge journals', () => {
    it('when a journal is created twice for one source, then the first is kept and returned', async () => {
      const [a, b, c] = [await h.newOrg(), await h.newOrg(), await h.newOrg()];
      expect(await h.store.getMerge(a.id)).toBeUndefined();
      const audited = await h.auditDelta(a.id, async () => expect((await h.store.createMerge(aJournal(a.id, b.id))).created).toBe(true));
      expect(audited).toBe(0);
      const again = await h.store.createMerge(aJournal(a.id, c.id));
      expect(again.created).toBe(false);
      expect(again.journal.targetOrgId).toBe(b.id);
      expect(await h.store.getMerge(a.id)).toEqual(aJournal(a.id, b.id));
      expect(await codeOf(h.store.createMerge(aJournal('missing', b.id)))).toBe('org.not_found');
    });

    it('when a journal is updated, then steps are kept, the version grows and a stale ifVersion is refused', async () => {
      const [a, b] = [await h.newOrg(), await h.newOrg()];
      await h.store.createMerge(aJournal(a.id, b.id));
      const r = await h.store.updateMerge(a.id, (j) => ({ next: { ...j, done: [...j.done, 'member:1'] } }));
      expect(r).toMatchObject({ changed: true, record: { version: 2, done: ['member:1'] } });
      expect((await h.store.updateMerge(a.id, () => null)).changed).toBe(false);
      expect(await codeOf(h.store.updateMerge(a.id, (j) => ({ next: j }), { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.updateMerge(b.id, (j) => ({ next: j })))).toBe('merge.not_found');
      expect((await h.store.getMerge(a.id))?.done).toEqual(['member:1']);
    });
  });
}
