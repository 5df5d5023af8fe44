import { describe, expect, it } from '@jest/globals';
import { type StoreHarness } from './harness.js';

/** Leases for scheduled work. */
export function leaseConformance(h: StoreHarness): void {
  describe('leases', () => {
    it('when replicas race for a lease, then exactly one holds it until it expires; the holder may renew', async () => {
      // A long TTL for the race itself: a slow backend must not see the lease expire mid-race.
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => h.store.tryAcquireLease('tick:c1:1', `replica-${i}`, 30_000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
      const winner = `replica-${wins.indexOf(true)}`;
      expect(await h.store.tryAcquireLease('tick:c1:1', winner, 30_000)).toBe(true);
      expect(await h.store.tryAcquireLease('tick:c1:1', 'someone-else', 30_000)).toBe(false);
      expect(await h.store.tryAcquireLease('tick:c1:2', 'someone-else', 30_000)).toBe(true);
      expect(await h.store.tryAcquireLease('tick:c1:3', 'first', 100)).toBe(true);
      await new Promise((r) => setTimeout(r, 250));
      expect(await h.store.tryAcquireLease('tick:c1:3', 'second', 100)).toBe(true);
    });

    it('when a lease is released by its holder, then another takes it at once; a release by anyone else changes nothing', async () => {
      expect(await h.store.tryAcquireLease('release:c1', 'run-1', 60_000)).toBe(true);
      expect(await h.store.releaseLease('release:c1', 'run-2')).toBe(false);
      expect(await h.store.tryAcquireLease('release:c1', 'run-2', 60_000)).toBe(false);
      expect(await h.store.releaseLease('release:c1', 'run-1')).toBe(true);
      expect(await h.store.tryAcquireLease('release:c1', 'run-2', 60_000)).toBe(true);
      expect(await h.store.releaseLease('release:c1', 'run-1')).toBe(false);
      expect(await h.store.releaseLease('release:never', 'run-1')).toBe(false);
    });

    it('when expired leases are swept, then live ones stay held by their holders and the expired ones can be taken again', async () => {
      expect(await h.store.tryAcquireLease('sweep:live', 'keeper', 60_000)).toBe(true);
      expect(await h.store.tryAcquireLease('sweep:gone-1', 'old', 50)).toBe(true);
      expect(await h.store.tryAcquireLease('sweep:gone-2', 'old', 50)).toBe(true);
      await new Promise((r) => setTimeout(r, 150));
      const swept = await h.store.sweepExpiredLeases();
      // A backend whose leases expire by themselves forgets them unasked (0); another deletes both.
      expect(swept === 0 || swept >= 2).toBe(true);
      expect(await h.store.tryAcquireLease('sweep:live', 'intruder', 60_000)).toBe(false);
      expect(await h.store.tryAcquireLease('sweep:live', 'keeper', 60_000)).toBe(true);
      expect(await h.store.tryAcquireLease('sweep:gone-1', 'new', 60_000)).toBe(true);
      expect(await h.store.sweepExpiredLeases()).toBe(0);
    });
  });
}
