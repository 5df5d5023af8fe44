import { describe, expect, it } from '@jest/globals';
import { batchesAfter, collect, pages, records } from '../../src/ports/paging.js';
import type { Page, PageRequest } from '../../src/ports/store.js';

function listOf(n: number, reads: Required<PageRequest>[] = []) {
  const all = Array.from({ length: n }, (_, i) => i);
  return async (p: Required<PageRequest>): Promise<Page<number>> => {
    reads.push(p);
    return { items: all.slice(p.offset, p.offset + p.limit), total: all.length };
  };
}

describe('pages', () => {
  it('when a list is longer than a page, then every record comes once, in order', async () => {
    expect(await collect(listOf(2500), 1000)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
  });

  it('when the list is an exact multiple of the page size, then the walk stops at the total without an extra read', async () => {
    const reads: Required<PageRequest>[] = [];
    expect((await collect(listOf(2000, reads), 1000)).length).toBe(2000);
    expect(reads.map((r) => r.offset)).toEqual([0, 1000]);
  });

  it('when the list is empty, then nothing is yielded after one read', async () => {
    const reads: Required<PageRequest>[] = [];
    const seen: number[][] = [];
    for await (const p of pages(listOf(0, reads))) seen.push(p);
    expect(seen).toEqual([]);
    expect(reads).toHaveLength(1);
  });

  it('when the list shrinks while it is read, then the walk ends instead of looping', async () => {
    let size = 30;
    const read = async (p: Required<PageRequest>): Promise<Page<number>> => {
      const all = Array.from({ length: size }, (_, i) => i);
      size = Math.max(0, size - 10);
      return { items: all.slice(p.offset, p.offset + p.limit), total: all.length };
    };
    const got: number[] = [];
    for await (const r of records(read, 10)) got.push(r);
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('when a page comes back short because a record vanished between index and read, then the walk goes on to the total, with no record twice', async () => {
    const all = Array.from({ length: 25 }, (_, i) => i);
    const reads: Required<PageRequest>[] = [];
    const read = async (p: Required<PageRequest>): Promise<Page<number>> => {
      reads.push(p);
      // Position 4 is still indexed (and counted) but its record is gone.
      return { items: all.slice(p.offset, p.offset + p.limit).filter((n) => n !== 4), total: all.length };
    };
    expect(await collect(read, 10)).toEqual(all.filter((n) => n !== 4));
    expect(reads.map((r) => r.offset)).toEqual([0, 10, 20]);
  });
});

describe('batchesAfter', () => {
  const event = (seq: number) => ({ seq });
  function trail(log: { seq: number }[], reads: { afterSeq: number; limit: number }[] = []) {
    return async (c: { afterSeq: number; limit: number }) => {
      reads.push(c);
      return log.filter((e) => e.seq > c.afterSeq).slice(0, c.limit);
    };
  }

  it('when the trail is longer than a batch, then every record after the cursor comes once, in order, and a short batch ends the walk', async () => {
    const log = Array.from({ length: 25 }, (_, i) => event(i + 1));
    const reads: { afterSeq: number; limit: number }[] = [];
    const seen: number[] = [];
    for await (const batch of batchesAfter(trail(log, reads), 3, 10)) seen.push(...batch.map((e) => e.seq));
    expect(seen).toEqual(Array.from({ length: 22 }, (_, i) => i + 4));
    expect(reads).toEqual([
      { afterSeq: 3, limit: 10 },
      { afterSeq: 13, limit: 10 },
      { afterSeq: 23, limit: 10 },
    ]);
  });

  it('when records are appended while the walk runs, then they are reached, and seq gaps do not matter', async () => {
    const log = [1, 2, 5, 9].map(event);
    const seen: number[] = [];
    for await (const batch of batchesAfter(trail(log), 0, 2)) {
      seen.push(...batch.map((e) => e.seq));
      if (log.length < 6) log.push(event(log.at(-1)!.seq + 10));
    }
    expect(seen).toEqual([1, 2, 5, 9, 19, 29]);
  });

  it('when nothing follows the cursor, then nothing is yielded after one read', async () => {
    const reads: { afterSeq: number; limit: number }[] = [];
    const seen: { seq: number }[][] = [];
    for await (const batch of batchesAfter(trail([event(1)], reads), 1)) seen.push(batch);
    expect(seen).toEqual([]);
    expect(reads).toEqual([{ afterSeq: 1, limit: 1000 }]);
  });
});
