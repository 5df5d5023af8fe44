import { createHash } from 'node:crypto';
import type { AuditEvent } from '../domain/model.js';

/**
 * The hash chain every store backend writes and `audit verify` recomputes. Part of the storage
 * contract: both backends must produce byte-identical hashes for the same events.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth and `undefined` members dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

export type UnhashedEvent = Omit<AuditEvent, 'hash'>;

export function chainHash(event: UnhashedEvent): string {
  const { prevHash, ...body } = event;
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(body)).digest('hex');
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
    const { hash, ...unhashed } = e;
    if (chainHash(unhashed) !== hash) return { ok: false, break: { seq: e.seq, reason: 'hash_mismatch' } };
    head = { seq: e.seq, hash };
  }
  return { ok: true, head };
}
