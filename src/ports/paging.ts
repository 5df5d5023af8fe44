import type { Page, PageRequest } from './store/types.js';

/** A reader of one offset page (a store list method, or a service's list, with its filters bound). */
export type PageReader<T> = (page: Required<PageRequest>) => Promise<Page<T>>;

/** How many records one read asks for when walking a whole list. */
export const WALK_PAGE = 1000;

/**
 * The one way to walk an offset-paged list to its end. It stops on the first short or empty page
 * or once `total` is reached, whichever comes first, so a list that shrinks while it is read never
 * loops and one that is exactly a multiple of the page size costs no extra read beyond the empty one.
 *
 * Offsets shift when the walked set changes under the reader (an expiry sweep that moves records
 * out of the filter it reads by): such callers collect first and change afterwards.
 */
export async function* pages<T>(read: PageReader<T>, limit: number = WALK_PAGE): AsyncGenerator<T[], void, undefined> {
  for (let offset = 0; ; offset += limit) {
    const page = await read({ offset, limit });
    if (page.items.length > 0) yield page.items;
    if (page.items.length < limit || offset + page.items.length >= page.total) return;
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
