import { hash } from 'node:crypto';
import type { AuditEvent } from '../domain/model.js';

/**
 * The hash chain every store backend writes and `audit verify` recomputes. Part of the storage
 * contract: both backends must produce byte-identical hashes for the same events.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return `${out}]`;
  }
  const obj = value as Record<string, unknown>;
  return fastCanonical(obj, undefined) ?? canonicalObject(obj, undefined);
}

/** An object's canonical JSON member by member, leaving out the top-level members named in `skip`. */
function canonicalObject(obj: Record<string, unknown>, skip: ReadonlySet<string> | undefined): string {
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const k of keys) {
    const v = obj[k];
    if (v === undefined || skip?.has(k)) continue;
    out += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(v)}`;
    first = false;
  }
  return `${out}}`;
}

/**
 * The same canonical JSON by the engine's own serializer: JSON.stringify with a property list
 * writes every object's members in the list's order, so the sorted list of every key in the tree
 * gives sorted members at every depth (about twice as fast as building the string here, which is
 * most of what verifying a chain costs). It agrees with canonicalObject for what JSON.parse makes:
 * plain objects, arrays, strings, finite numbers, booleans, null. Anything else (a Date or other
 * class instance, a function, an own `__proto__` member, or a skipped name found deeper down)
 * answers undefined and the caller takes the member-by-member path.
 */
function fastCanonical(obj: Record<string, unknown>, skip: ReadonlySet<string> | undefined): string | undefined {
  if (!plainObject(obj)) return undefined;
  const keys = new Set<string>();
  for (const k in obj) {
    if (skip?.has(k)) continue;
    keys.add(k);
    if (!collectKeys(obj[k], keys)) return undefined;
  }
  if (keys.has('__proto__')) return undefined;
  if (skip) for (const k of skip) if (keys.has(k)) return undefined;
  return JSON.stringify(obj, [...keys].sort());
}

const plainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** Adds the keys of every object under `v` to `keys`; false when `v` holds something fastCanonical does not take. */
function collectKeys(v: unknown, keys: Set<string>): boolean {
  const t = typeof v;
  if (t === 'function' || t === 'symbol' || t === 'bigint') return false;
  if (v === null || t !== 'object') return true;
  if (Array.isArray(v)) {
    for (const x of v) if (!collectKeys(x, keys)) return false;
    return true;
  }
  if (!plainObject(v as object)) return false;
  for (const k in v as Record<string, unknown>) {
    keys.add(k);
    if (!collectKeys((v as Record<string, unknown>)[k], keys)) return false;
  }
  return true;
}

export type UnhashedEvent = Omit<AuditEvent, 'hash'>;

/** What an event's hash covers: every member but its own hash and the link to the one before. */
const NOT_HASHED: ReadonlySet<string> = new Set(['hash', 'prevHash']);

/** sha256 of the link to the previous event, a newline, and the canonical JSON of the rest. */
export function chainHash(event: UnhashedEvent | AuditEvent): string {
  const obj = event as unknown as Record<string, unknown>;
  const body = fastCanonical(obj, NOT_HASHED) ?? canonicalObject(obj, NOT_HASHED);
  return hash('sha256', `${event.prevHash}\n${body}`, 'hex');
}

export interface ChainBreak {
  seq: number;
  reason: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap';
}

/** Checks a contiguous run of events that starts at seq 1 (or after `prev`). */
export function verifyChain(
  events: Iterable<AuditEvent>,
  prev: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH },
): { ok: true; head: { seq: number; hash: string } } | { ok: false; break: ChainBreak } {
  let head = prev;
  for (const e of events) {
    if (e.seq !== head.seq + 1) return { ok: false, break: { seq: head.seq + 1, reason: 'seq_gap' } };
    if (e.prevHash !== head.hash) return { ok: false, break: { seq: e.seq, reason: 'prev_hash_mismatch' } };
    if (chainHash(e) !== e.hash) return { ok: false, break: { seq: e.seq, reason: 'hash_mismatch' } };
    head = { seq: e.seq, hash: e.hash };
  }
  return { ok: true, head };
}
