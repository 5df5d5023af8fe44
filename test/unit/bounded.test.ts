import { describe, expect, it } from '@jest/globals';
import { mapBounded } from '../../src/ports/bounded.js';

describe('mapBounded', () => {
  it('when 100 items are mapped with a limit of 8, then at most 8 calls are in flight and the results keep the order of the items', async () => {
    let inFlight = 0;
    let most = 0;
    const items = Array.from({ length: 100 }, (_, i) => i);
    const out = await mapBounded(items, 8, async (i) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, (i * 7) % 5));
      inFlight--;
      return i * 2;
    });

    expect(out).toEqual(items.map((i) => i * 2));
    expect(most).toBe(8);
  });

  it('when a call fails, then the map rejects with its error, and an empty list maps to an empty list', async () => {
    const failing = async (i: number) => {
      if (i === 2) throw new Error('boom');
      return i;
    };

    await expect(mapBounded([1, 2, 3], 2, failing)).rejects.toThrow('boom');
    expect(await mapBounded([], 4, async (i: number) => i)).toEqual([]);
  });
});
