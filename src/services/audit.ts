import type { AuditEvent } from '../domain/model.js';
import { GENESIS_HASH, verifyChain, type ChainBreak } from '../ports/audit-chain.js';
import type { ServiceDeps } from './deps.js';

export type VerifyResult =
  | { ok: true; events: number; head: { seq: number; hash: string } }
  | { ok: false; events: number; break: ChainBreak & { eventId?: string } };

/** Events one read of a verification asks for: big enough that a read's round trip is small next to its hashing. */
export const VERIFY_BATCH = 2000;

export interface VerifyOptions {
  /** Told after each batch: events verified so far and the chain's head up to them. A throw stops the walk. */
  onProgress?: (checked: number, head: { seq: number; hash: string }) => Promise<void> | void;
  batch?: number;
}

export class AuditService {
  constructor(private readonly deps: ServiceDeps) {}

  list(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return this.deps.store.listAudit(orgId, opts);
  }

  /**
   * Recomputes the org's whole chain and reports the first place it breaks. Reads are keyset (seq >
   * the last one read) and the next batch is read while the current one is hashed, so a remote
   * store's round trips overlap the CPU work. The walk ends on an empty batch, not a short one, so a
   * store that returns fewer events than asked cannot end it early.
   */
  async verify(orgId: string, opts: VerifyOptions = {}): Promise<VerifyResult> {
    const limit = opts.batch ?? VERIFY_BATCH;
    let head = { seq: 0, hash: GENESIS_HASH };
    let count = 0;
    let next = this.deps.store.listAudit(orgId, { afterSeq: 0, limit });
    for (;;) {
      const batch = await next;
      if (batch.length === 0) return { ok: true, events: count, head };
      next = this.deps.store.listAudit(orgId, { afterSeq: batch.at(-1)!.seq, limit });
      // A rejected read-ahead must not go unhandled when this batch is the one that breaks.
      next.catch(() => undefined);
      const r = verifyChain(batch, head);
      if (!r.ok) {
        const at = batch.find((e) => e.seq === r.break.seq);
        return { ok: false, events: count + batch.filter((e) => e.seq < r.break.seq).length, break: { ...r.break, ...(at ? { eventId: at.id } : {}) } };
      }
      count += batch.length;
      head = r.head;
      await opts.onProgress?.(count, head);
    }
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
