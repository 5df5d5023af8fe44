import type { Page, PageRequest } from './store/types.js';

/** A reader of one offset page (a store list method, or a service's list, with its filters bound). */
export type PageReader<T> = (page: Required<PageRequest>) => Promise<Page<T>>;

/** How many records one read asks for when walking a whole list. */
export const WALK_PAGE = 1000;

/**
 * The one way to walk an offset-paged list to its end. It stops on an empty page or once the next
 * offset reaches `total`, so a list that shrinks while it is read never loops and one that is an
 * exact multiple of the page size costs no extra read. A short page alone does not end the walk:
 * a store may drop a record that vanished between its index and its read (Redis does) and still
 * count it, and the records after it must not be lost. Offsets advance by `limit`, the positions
 * the store pages by, never by the number of records returned.
 *
 * Offsets shift when the walked set changes under the reader (an expiry sweep that moves records
 * out of the filter it reads by): such callers collect first and change afterwards.
 */
export async function* pages<T>(read: PageReader<T>, limit: number = WALK_PAGE): AsyncGenerator<T[], void, undefined> {
  for (let offset = 0; ; offset += limit) {
    const page = await read({ offset, limit });
    if (page.items.length > 0) yield page.items;
    if (page.items.length === 0 || offset + limit >= page.total) return;
  }
}

/** Every record of the list, one at a time. */
export async function* records<T>(read: PageReader<T>, limit: number = WALK_PAGE): AsyncGenerator<T, void, undefined> {
  for await (const items of pages(read, limit)) yield* items;
}

/** Every record of the list, read into memory (for lists the caller knows to be bounded). */
export async function collect<T>(read: PageReader<T>, limit: number = WALK_PAGE): Promise<T[]> {
  const out: T[] = [];
  for await (const items of pages(read, limit)) out.push(...items);
  return out;
}

/** A reader of the records after a sequence number, ascending (audit events, outbox records). */
export type SeqReader<T extends { seq: number }> = (cursor: { afterSeq: number; limit: number }) => Promise<T[]>;

/**
 * The one way to walk a sequence-ordered list forward from `afterSeq`: each batch is read after
 * the last seq of the one before, so records appended during the walk are still reached and none
 * is read twice. It stops on the first short or empty batch. A caller that stores its cursor
 * (a consumer's offset) does so per batch, after handling it.
 */
export async function* batchesAfter<T extends { seq: number }>(read: SeqReader<T>, afterSeq = 0, limit: number = WALK_PAGE): AsyncGenerator<T[], void, undefined> {
  for (let after = afterSeq; ; ) {
    const batch = await read({ afterSeq: after, limit });
    if (batch.length > 0) yield batch;
    if (batch.length < limit) return;
    after = batch.at(-1)!.seq;
  }
}
