import { IdsyncError } from '../../domain/errors.js';
import type { ScimLogEntry } from '../../domain/scim-log.js';

/** Entries per page at most; an entry's id is its page's seq × PAGE_SLOTS + its slot. */
export const PAGE_SLOTS = 1000;

/** A page as inserted (scim-log-schema.ts SCIM_LOG_PAGES), in INSERT_PAGE's parameter order. */
export type LogPageRow = [orgId: string, n: number, minAtMs: number, maxAtMs: number, statuses: number, entries: string];

/**
 * A page stores each entry as an array of its fields in this order (absent ones null; the org is
 * the page's): without the keys the page's JSON is a third shorter and the request thread makes it
 * in about two thirds of the time. Append only: an entry stored earlier has fewer fields, never
 * others. Pages made from the rows of earlier versions hold entry objects; both are read.
 */
export const ENTRY_FIELDS = ['at', 'method', 'path', 'status', 'latencyMs', 'idp', 'userAgent', 'credential', 'resource', 'requestBody', 'error', 'operationErrors'] as const satisfies readonly (keyof ScimLogEntry)[];
// Every field of an entry has its place: one added to ScimLogEntry and not here fails to compile.
const EVERY_FIELD: [Exclude<keyof ScimLogEntry, (typeof ENTRY_FIELDS)[number] | 'orgId'>] extends [never] ? true : never = true;
void EVERY_FIELD;
const AT = 0;
const STATUS = 3;

/** A stored slot: an entry's fields (ENTRY_FIELDS), an entry object (pages of earlier rows), or null where retention dropped one. */
export type StoredSlot = unknown[] | ScimLogEntry | null;

/** An entry as a page stores it. */
export function slotOf(e: ScimLogEntry): unknown[] {
  return [e.at, e.method, e.path, e.status, e.latencyMs, e.idp, e.userAgent ?? null, e.credential ?? null, e.resource ?? null, e.requestBody ?? null, e.error ?? null, e.operationErrors ?? null];
}

/** The entry a stored slot holds, of the page's org. */
export function entryOfSlot(slot: unknown[] | ScimLogEntry, orgId: string): ScimLogEntry {
  if (!Array.isArray(slot)) return slot;
  const e: Record<string, unknown> = { orgId };
  for (let i = 0; i < ENTRY_FIELDS.length && i < slot.length; i++) if (slot[i] !== null) e[ENTRY_FIELDS[i]!] = slot[i];
  return e as unknown as ScimLogEntry;
}

const atOf = (slot: unknown[] | ScimLogEntry): string => (Array.isArray(slot) ? (slot[AT] as string) : slot.at);
const statusOf = (slot: unknown[] | ScimLogEntry): number => (Array.isArray(slot) ? (slot[STATUS] as number) : slot.status);

/**
 * The pages a batch is stored as: each org's entries in their order, PAGE_SLOTS at most per page,
 * with their live count, time bounds and status classes. One JSON text per page, made here (on
 * the request thread): the writer thread only inserts.
 */
export function pagesOf(entries: readonly ScimLogEntry[]): LogPageRow[] {
  const byOrg = new Map<string, unknown[][]>();
  for (const e of entries) {
    const list = byOrg.get(e.orgId);
    if (list) list.push(slotOf(e));
    else byOrg.set(e.orgId, [slotOf(e)]);
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
export function statusClasses(slots: readonly StoredSlot[]): number {
  let mask = 0;
  for (const s of slots) if (s) mask |= 1 << Math.trunc(statusOf(s) / 100);
  return mask;
}

/** The status classes a filter's range touches, as statusClasses marks them. */
export function statusMaskOf(range: { from: number; to: number }): number {
  let mask = 0;
  for (let k = Math.max(0, Math.trunc(range.from / 100)); k <= Math.min(9, Math.trunc(range.to / 100)); k++) mask |= 1 << k;
  return mask;
}

/** Whether a time has `toISOString`'s form for years 0–9999 (YYYY-MM-DDTHH:mm:ss.sssZ), whose text order is time order. */
const canonical = (at: string): boolean =>
  at.length === 24 && at.charCodeAt(23) === 90 /* Z */ && at.charCodeAt(10) === 84 /* T */ && at.charCodeAt(4) === 45 && at.charCodeAt(7) === 45 && at.charCodeAt(13) === 58 && at.charCodeAt(16) === 58 && at.charCodeAt(19) === 46;

/**
 * The earliest and latest time of the live entries (ms). Times as toISOString writes them (every
 * entry the daemon makes) are compared as text and only the two bounds parsed; any other form is parsed.
 */
export function timeBounds(slots: readonly StoredSlot[]): { min: number; max: number } {
  let lo: string | undefined;
  let hi: string | undefined;
  let min = Infinity;
  let max = -Infinity;
  for (const s of slots) {
    if (!s) continue;
    const at = atOf(s);
    if (canonical(at)) {
      if (lo === undefined || at < lo) lo = at;
      if (hi === undefined || at > hi) hi = at;
      continue;
    }
    const t = Date.parse(at);
    if (t < min) min = t;
    if (t > max) max = t;
  }
  if (lo !== undefined) min = Math.min(min, Date.parse(lo));
  if (hi !== undefined) max = Math.max(max, Date.parse(hi));
  return { min, max };
}

/** Whether the slot's entry is older than `ms`. */
export const slotOlderThan = (slot: unknown[] | ScimLogEntry, ms: number): boolean => Date.parse(atOf(slot)) < ms;

export const entryId = (seq: number, slot: number): string => String(seq * PAGE_SLOTS + slot);

/** A listing cursor (an entry id this store issued) as its page and slot. */
export function parseCursor(before: string): { seq: number; slot: number } {
  if (!/^\d{1,15}$/.test(before)) throw new IdsyncError('request.invalid', `SCIM log cursor ${JSON.stringify(before)} is not one this store issued`);
  const id = Number(before);
  return { seq: Math.floor(id / PAGE_SLOTS), slot: id % PAGE_SLOTS };
}
