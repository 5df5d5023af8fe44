import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { AuditEvent } from '../../src/domain/model.js';
import { canonicalJson, chainHash, GENESIS_HASH, verifyChain } from '../../src/ports/audit-chain.js';
import { nextAuditRecords } from '../../src/store/shared/audit-records.js';

/** The canonical JSON and hash as first written (before the fast path): every chain ever stored was hashed this way. */
function reference(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : reference(v))).join(',')}]`;
  const entries = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}
function referenceHash(event: Omit<AuditEvent, 'hash'>): string {
  const { prevHash, ...body } = event;
  return createHash('sha256').update(prevHash).update('\n').update(reference(body)).digest('hex');
}

function chain(n: number): AuditEvent[] {
  const out: AuditEvent[] = [];
  let head = { seq: 0, hash: GENESIS_HASH };
  for (let i = 1; i <= n; i++) {
    const { event } = nextAuditRecords(
      { orgId: 'org_1', actor: { kind: 'admin', id: 'k1', label: 'key' }, action: i % 2 ? 'team.updated' : 'member.removed', target: { type: 'team', id: `t${i}` }, after: { n: i, tags: ['a', { z: 1, a: [null, 'x'] }] }, ...(i % 3 ? { reason: `r${i}` } : {}) },
      head,
      new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    );
    out.push(event);
    head = event;
  }
  return out;
}

const tricky: unknown[] = [
  { b: 1, a: { d: [1, { y: 2, x: undefined, w: null }], c: 'é\u2028"\\' }, '10': true, '9': false, '': 'empty', 'ü': 1, Z: -0 },
  { nested: { hash: 'h', prevHash: 'p' }, list: [undefined, () => 1, Number.NaN, Infinity, 1e21, 'x'] },
  { constructor: 'c', toString: 'ts', hasOwnProperty: 1, valueOf: { a: 1 } },
  JSON.parse('{"__proto__": {"a": 1}, "b": 2}'),
  { when: new Date(0), inner: { when: new Date(1) } },
  { fn: () => 1, keep: 1 },
  Object.assign(Object.create(null) as object, { b: 1, a: 2 }),
  [{ b: 1, a: 2 }, [], {}, [[]]],
  'plain',
  42,
  null,
];

describe('the audit hash chain', () => {
  it('when canonical JSON takes the fast path, then it is byte-identical to the original encoder for every shape', () => {
    for (const v of tricky) expect(canonicalJson(v)).toBe(reference(v));
    for (const e of chain(50)) {
      expect(canonicalJson(e)).toBe(reference(e));
      const { hash, ...unhashed } = e;
      expect(chainHash(unhashed)).toBe(referenceHash(unhashed));
      expect(chainHash(e)).toBe(hash);
    }
  });

  it('when an event carries members named hash or prevHash deeper down, then they are hashed as before', () => {
    const body = { orgId: 'o', id: 'i', seq: 1, at: 'now', prevHash: GENESIS_HASH, action: 'x', actor: { kind: 'system' as const }, target: { type: 't', id: 'i' }, after: { hash: 'deep', prevHash: 'deeper' } };
    expect(chainHash(body)).toBe(referenceHash(body));
  });

  it('when events are changed, removed, inserted or reordered, then verification names the first broken seq and why', () => {
    const events = chain(20);
    expect(verifyChain(events)).toMatchObject({ ok: true, head: { seq: 20, hash: events[19]!.hash } });

    const changed = events.map((e) => (e.seq === 7 ? { ...e, after: { n: 700 } } : e));
    expect(verifyChain(changed)).toEqual({ ok: false, break: { seq: 7, reason: 'hash_mismatch' } });

    const actorChanged = events.map((e) => (e.seq === 8 ? { ...e, actor: { ...e.actor, label: 'someone else' } } : e));
    expect(verifyChain(actorChanged)).toEqual({ ok: false, break: { seq: 8, reason: 'hash_mismatch' } });

    const removed = events.filter((e) => e.seq !== 5);
    expect(verifyChain(removed)).toEqual({ ok: false, break: { seq: 5, reason: 'seq_gap' } });

    // Removed and the rest renumbered so the seqs run on: the link to the one before no longer holds.
    const renumbered = removed.map((e) => (e.seq > 5 ? { ...e, seq: e.seq - 1 } : e));
    expect(verifyChain(renumbered)).toEqual({ ok: false, break: { seq: 5, reason: 'prev_hash_mismatch' } });

    // Inserted with a well-formed hash of its own, linked to the event before it: the next one breaks.
    const forged = nextAuditRecords({ orgId: 'org_1', actor: { kind: 'system' }, action: 'forged', target: { type: 't', id: 'x' } }, events[9]!, events[9]!.at).event;
    const inserted = [...events.slice(0, 10), forged, ...events.slice(10).map((e) => ({ ...e, seq: e.seq + 1 }))];
    expect(verifyChain(inserted)).toEqual({ ok: false, break: { seq: 12, reason: 'prev_hash_mismatch' } });

    // Two events swapped, their seqs kept in order (what a rewrite of the stored rows would do).
    const swapped = events.map((e) => (e.seq === 12 ? { ...events[12]!, seq: 12 } : e.seq === 13 ? { ...events[11]!, seq: 13 } : e));
    expect(verifyChain(swapped)).toEqual({ ok: false, break: { seq: 12, reason: 'prev_hash_mismatch' } });
    // Swapped whole (seqs travel with them): read in seq order that is the same chain; out of order it is a gap.
    expect(verifyChain([...events.slice(0, 11), events[12]!, events[11]!, ...events.slice(13)])).toEqual({ ok: false, break: { seq: 12, reason: 'seq_gap' } });

    const relinked = events.map((e) => (e.seq === 15 ? { ...e, prevHash: events[12]!.hash } : e));
    expect(verifyChain(relinked)).toEqual({ ok: false, break: { seq: 15, reason: 'prev_hash_mismatch' } });
  });
});
