import { IdsyncError } from '../../domain/errors.js';
import type { ScimLogEntry } from '../../domain/scim-log.js';

/** Entries per page at most; an entry's id is its page's seq × PAGE_SLOTS + its slot. */
export const PAGE_SLOTS = 1000;

/** A page as inserted (scim-log-schema.ts SCIM_LOG_PAGES), in INSERT_PAGE's parameter order. */
export type LogPageRow = [orgId: string, n: number, minAtMs: number, maxAtMs: number, statuses: number, entries: string];

/**
 * A page stores each entry as an array of its fields in this order (the org is the page's): without
 * the keys the page's JSON is a third shorter and the request thread makes it in about two thirds of
 * the time. Fields absent at the end are left off, others are null. Append only: an entry stored
 * earlier has fewer fields, never others. Pages made from the rows of earlier versions hold entry
 * objects; every form is read.
 */
export const ENTRY_FIELDS = ['at', 'method', 'path', 'status', 'latencyMs', 'idp', 'userAgent', 'credential', 'resource', 'requestBody', 'error', 'operationErrors'] as const satisfies readonly (keyof ScimLogEntry)[];
// Every field of an entry has its place: one added to ScimLogEntry and not here fails to compile.
const EVERY_FIELD: [Exclude<keyof ScimLogEntry, (typeof ENTRY_FIELDS)[number] | 'orgId'>] extends [never] ? true : never = true;
void EVERY_FIELD;
const AT = 0;
const STATUS = 3;

/**
 * Fields (ENTRY_FIELDS positions) a page holds once in its `shared` list and each entry names by
 * index there: an IdP sends one User-Agent with one credential, and its lookups touch one resource
 * type, so in a page of an org's batch these are nearly always the same few values. They were ~45%
 * of a lookup entry's bytes, and the writer thread's cost follows the bytes (its SQLite pages and
 * their writes: bench/RESULTS.md, 2026-12-06).
 */
const SHARED_FIELDS: readonly number[] = (['idp', 'userAgent', 'credential', 'resource'] as const).map((f) => ENTRY_FIELDS.indexOf(f));

/** A stored slot: an entry's fields (ENTRY_FIELDS), an entry object (pages of earlier rows), or null where retention dropped one. */
export type StoredSlot = unknown[] | ScimLogEntry | null;

/** A page's text since shared values: its slots, with SHARED_FIELDS as indexes into `shared`. Earlier pages are a bare array of slots. */
interface SharedPage {
  shared: unknown[];
  slots: StoredSlot[];
}

/**
 * Builds one page's text. A value is shared by identity first (the request log hands the same
 * credential and resource objects to every entry they describe), then, for objects, by content.
 */
class PageText {
  private readonly shared: unknown[] = [];
  private readonly byValue = new Map<unknown, number>();
  private readonly byJson = new Map<string, number>();
  private readonly slots: StoredSlot[] = [];

  /** Adds a new entry: its fields in ENTRY_FIELDS order, written out (scim-log-pages.test.ts reads every field back). */
  entry(e: ScimLogEntry): void {
    const slot: unknown[] = [e.at, e.method, e.path, e.status, e.latencyMs, this.ref(e.idp), this.ref(e.userAgent), this.ref(e.credential), this.ref(e.resource)];
    if (e.requestBody !== undefined || e.error !== undefined || e.operationErrors !== undefined) slot.push(e.requestBody ?? null, e.error ?? null, e.operationErrors ?? null);
    this.slots.push(trimmed(slot));
  }

  /** Adds a slot read from a stored page (its shared fields are values again: slotsOfPage). */
  slot(s: StoredSlot): void {
    if (!Array.isArray(s)) {
      this.slots.push(s);
      return;
    }
    const copy = s.slice();
    for (const f of SHARED_FIELDS) if (f < copy.length) copy[f] = this.ref(copy[f]);
    this.slots.push(trimmed(copy));
  }

  text(): string {
    return JSON.stringify({ shared: this.shared, slots: this.slots } satisfies SharedPage);
  }

  private ref(v: unknown): number | null {
    if (v === undefined || v === null) return null;
    let i = this.byValue.get(v);
    if (i !== undefined) return i;
    if (typeof v === 'object') {
      const json = JSON.stringify(v);
      i = this.byJson.get(json);
      if (i === undefined) this.byJson.set(json, (i = this.shared.push(v) - 1));
    } else i = this.shared.push(v) - 1;
    this.byValue.set(v, i);
    return i;
  }
}

/** Without the nulls at its end. */
function trimmed(slot: unknown[]): unknown[] {
  let n = slot.length;
  while (n > 0 && slot[n - 1] === null) n--;
  slot.length = n;
  return slot;
}

/** A page's text (PageText, or an earlier page's bare array) as slots whose fields are values. */
export function slotsOfPage(text: string): StoredSlot[] {
  const page = JSON.parse(text) as StoredSlot[] | SharedPage;
  if (Array.isArray(page)) return page;
  const { shared, slots } = page;
  for (const s of slots) {
    if (!Array.isArray(s)) continue;
    for (const f of SHARED_FIELDS) if (f < s.length && s[f] !== null) s[f] = shared[s[f] as number];
  }
  return slots;
}

/** The text a page of these slots (some emptied by retention) is stored as. */
export function pageOfSlots(slots: readonly StoredSlot[]): string {
  const page = new PageText();
  for (const s of slots) page.slot(s);
  return page.text();
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
 * with their live count, time bounds and status classes. One text per page, made here (on the
 * request thread): the writer thread only inserts.
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
      const part = list.length <= PAGE_SLOTS ? list : list.slice(i, i + PAGE_SLOTS);
      const page = new PageText();
      for (const e of part) page.entry(e);
      const { min, max } = timeBounds(part);
      pages.push([orgId, part.length, min, max, statusClasses(part), page.text()]);
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
