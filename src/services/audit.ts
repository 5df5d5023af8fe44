import type { AnchorCheck, AuditAnchor } from '../domain/audit-anchor.js';
import type { BreakReason } from '../domain/audit-verification.js';
import type { AuditEvent } from '../domain/model.js';
import { GENESIS_HASH, verifyChain } from '../ports/audit-chain.js';
import type { ServiceDeps } from './deps.js';

/** `anchor` is there when the verification was asked to check one (anchored-verify.ts). */
export type VerifyResult =
  | { ok: true; events: number; head: { seq: number; hash: string }; anchor?: AnchorCheck }
  | { ok: false; events: number; break: { seq: number; reason: BreakReason; eventId?: string }; anchor?: AnchorCheck };

/** The chain's last event, to record outside idsync as an anchor. */
export interface AuditHead {
  seq: number;
  hash: string;
  /** Absent for an empty chain (seq 0, the genesis hash). */
  at?: string;
}

/** Events one read of a verification asks for: big enough that a read's round trip is small next to its hashing. */
export const VERIFY_BATCH = 2000;

export interface VerifyOptions {
  /** Told after each batch: events verified so far and the chain's head up to them. A throw stops the walk. */
  onProgress?: (checked: number, head: { seq: number; hash: string }) => Promise<void> | void;
  batch?: number;
  /** A head recorded outside idsync: the trail must still hold that event with that hash. */
  anchor?: AuditAnchor;
}

export class AuditService {
  constructor(private readonly deps: ServiceDeps) {}

  list(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return this.deps.store.listAudit(orgId, opts);
  }

  /**
   * Recomputes the org's whole chain and reports the first place it breaks; with an anchor, also
   * that the event at its seq is still there with its hash (the first problem by seq is the verdict).
   * Reads are keyset (seq > the last one read) and the next batch is read while the current one is
   * hashed, so a remote store's round trips overlap the CPU work. The walk ends on an empty batch,
   * not a short one, so a store that returns fewer events than asked cannot end it early.
   */
  async verify(orgId: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
    const limit = opts.batch ?? VERIFY_BATCH;
    const anchor = opts.anchor;
    let anchored: AnchorCheck | undefined;
    let head = { seq: 0, hash: GENESIS_HASH };
    let count = 0;
    let next = this.deps.store.listAudit(orgId, { afterSeq: 0, limit });
    for (;;) {
      const batch = await next;
      if (batch.length === 0) {
        if (!anchor || anchored) return { ok: true, events: count, head, ...(anchored ? { anchor: anchored } : {}) };
        // The chain verifies but ends before the anchored event: its end was cut off.
        return { ok: false, events: count, break: { seq: head.seq + 1, reason: 'truncated' }, anchor: { ...anchor, status: 'beyond_head', headSeq: head.seq } };
      }
      next = this.deps.store.listAudit(orgId, { afterSeq: batch.at(-1)!.seq, limit });
      // A rejected read-ahead must not go unhandled when this batch is the one that breaks.
      next.catch(() => undefined);
      const r = verifyChain(batch, head);
      const verifiedBelow = r.ok ? Number.POSITIVE_INFINITY : r.break.seq;
      if (anchor && !anchored && anchor.seq < verifiedBelow) {
        const at = batch.find((e) => e.seq === anchor.seq);
        if (at && at.hash === anchor.hash) anchored = { ...anchor, status: 'matched' };
        else if (at) {
          return { ok: false, events: count + batch.filter((e) => e.seq < anchor.seq).length, break: { seq: anchor.seq, reason: 'anchor_mismatch', eventId: at.id }, anchor: { ...anchor, status: 'mismatch', found: at.hash } };
        }
      }
      if (!r.ok) {
        const at = batch.find((e) => e.seq === r.break.seq);
        const result: VerifyResult = { ok: false, events: count + batch.filter((e) => e.seq < r.break.seq).length, break: { ...r.break, ...(at ? { eventId: at.id } : {}) } };
        if (anchor) result.anchor = anchored ?? { ...anchor, status: this.missing(r.break, batch, anchor) ? 'missing' : 'not_reached' };
        return result;
      }
      count += batch.length;
      head = r.head;
      await opts.onProgress?.(count, head);
    }
  }

  /** A gap in the chain that the anchored seq falls in: the anchored event itself was deleted. */
  private missing(brk: { seq: number; reason: string }, batch: AuditEvent[], anchor: AuditAnchor): boolean {
    if (brk.reason !== 'seq_gap' || anchor.seq < brk.seq) return false;
    const after = batch.find((e) => e.seq >= brk.seq);
    return after !== undefined && anchor.seq < after.seq;
  }

  /** The chain's last event as an anchor to keep outside idsync: its seq, hash and time. */
  async head(orgId: string): Promise<AuditHead> {
    const seq = await this.headSeq(orgId);
    if (seq === 0) return { seq: 0, hash: GENESIS_HASH };
    const [e] = await this.list(orgId, { afterSeq: seq - 1, limit: 1 });
    return e ? { seq: e.seq, hash: e.hash, at: e.at } : { seq: 0, hash: GENESIS_HASH };
  }

  /** The last seq of the chain (seqs run 1..n without gaps): grow a bound, then bisect (a few dozen one-event reads at 100,000 events). */
  async headSeq(orgId: string): Promise<number> {
    const after = async (seq: number) => (await this.list(orgId, { afterSeq: seq, limit: 1 })).length > 0;
    let lo = 0;
    let hi = 1024;
    while (await after(hi)) {
      lo = hi + 1;
      hi *= 4;
    }
    // Smallest x in [lo, hi] with nothing after it.
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      if (await after(mid)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
