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
 * The same canonical JSON by the engine's own serializer: a copy of the tree with every object's
 * members inserted in sorted order, written by plain JSON.stringify, which keeps insertion order
 * (about twice as fast as building the string member by member, which was most of what verifying a
 * chain cost). It agrees with canonicalObject for what JSON.parse makes: plain objects, arrays,
 * strings, finite numbers, booleans, null. Anything else (a Date or other class instance, a
 * function, a member named `__proto__`, or one named like an array index, which the engine would
 * put first in numeric order) answers undefined and the caller takes the member-by-member path.
 */
function fastCanonical(obj: Record<string, unknown>, skip: ReadonlySet<string> | undefined): string | undefined {
  try {
    return JSON.stringify(sortedCopy(obj, skip));
  } catch (err) {
    if (err === NOT_PLAIN) return undefined;
    throw err;
  }
}

const NOT_PLAIN = Symbol('not plain JSON data');
const INDEX_LIKE = /^(?:0|[1-9]\d*)$/;

const plainObject = (v: object): boolean => {
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/** `v` with the members of every object in sorted order (and the top-level ones in `skip` left out); throws NOT_PLAIN. */
function sortedCopy(v: unknown, skip?: ReadonlySet<string>): unknown {
  const t = typeof v;
  if (t === 'function' || t === 'symbol' || t === 'bigint') throw NOT_PLAIN;
  if (v === null || t !== 'object') return v;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = sortedCopy(v[i]);
    return out;
  }
  if (!plainObject(v as object)) throw NOT_PLAIN;
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj).sort()) {
    if (skip?.has(k)) continue;
    const c = k.charCodeAt(0);
    if ((c >= 48 && c <= 57 && INDEX_LIKE.test(k)) || k === '__proto__') throw NOT_PLAIN;
    out[k] = sortedCopy(obj[k]);
  }
  return out;
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
