import { IdsyncError } from '../../domain/errors.js';
import type { ScimLogEntry } from '../../domain/scim-log.js';

/** Entries per page at most; an entry's id is its page's seq × PAGE_SLOTS + its slot. */
export const PAGE_SLOTS = 1000;

/** A page as inserted (scim-log-schema.ts SCIM_LOG_PAGES), in INSERT_PAGE's parameter order. */
export type LogPageRow = [orgId: string, n: number, minAtMs: number, maxAtMs: number, statuses: number, entries: string];

/** A page's slots as stored: an entry, or null where retention dropped one. */
export type PageSlots = (ScimLogEntry | null)[];

/**
 * The pages a batch is stored as: each org's entries in their order, PAGE_SLOTS at most per page,
 * with their live count, time bounds and status classes. One JSON text per page, made here (on
 * the request thread): the writer thread only inserts.
 */
export function pagesOf(entries: readonly ScimLogEntry[]): LogPageRow[] {
  const byOrg = new Map<string, ScimLogEntry[]>();
  for (const e of entries) {
    const list = byOrg.get(e.orgId);
    if (list) list.push(e);
    else byOrg.set(e.orgId, [e]);
  }
  const pages: LogPageRow[] = [];
  for (const [orgId, list] of byOrg) {
    for (let i = 0; i < list.length; i += PAGE_SLOTS) {
      const slots = list.length <= PAGE_SLOTS ? list : list.slice(i, i + PAGE_SLOTS);
      const { min, max } = timeBounds(slots);
      pages.push([orgId, slots.length, min, max, statusClasses(slots), JSON.stringify(slots)]);
    }
  }
  return pages;
}

/** Bit k for an entry that answered kxx. */
export function statusClasses(slots: PageSlots): number {
  let mask = 0;
  for (const e of slots) if (e) mask |= 1 << Math.trunc(e.status / 100);
  return mask;
}

/** The status classes a filter's range touches, as statusClasses marks them. */
export function statusMaskOf(range: { from: number; to: number }): number {
  let mask = 0;
  for (let k = Math.max(0, Math.trunc(range.from / 100)); k <= Math.min(9, Math.trunc(range.to / 100)); k++) mask |= 1 << k;
  return mask;
}

/** The earliest and latest time of the live entries (ms). */
export function timeBounds(slots: PageSlots): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const e of slots) {
    if (!e) continue;
    const t = Date.parse(e.at);
    if (t < min) min = t;
    if (t > max) max = t;
  }
  return { min, max };
}

export const entryId = (seq: number, slot: number): string => String(seq * PAGE_SLOTS + slot);

/** A listing cursor (an entry id this store issued) as its page and slot. */
export function parseCursor(before: string): { seq: number; slot: number } {
  if (!/^\d{1,15}$/.test(before)) throw new IdsyncError('request.invalid', `SCIM log cursor ${JSON.stringify(before)} is not one this store issued`);
  const id = Number(before);
  return { seq: Math.floor(id / PAGE_SLOTS), slot: id % PAGE_SLOTS };
}
