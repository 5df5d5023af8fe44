import { describe, expect, it } from '@jest/globals';
import { collect, pages, records } from '../../src/ports/paging.js';
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
});
