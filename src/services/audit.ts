import type { AuditEvent } from '../domain/model.js';
import { GENESIS_HASH, verifyChain, type ChainBreak } from '../ports/audit-chain.js';
import { batchesAfter } from '../ports/paging.js';
import type { ServiceDeps } from './deps.js';

export type VerifyResult =
  | { ok: true; events: number; head: { seq: number; hash: string } }
  | { ok: false; events: number; break: ChainBreak & { eventId?: string } };

export class AuditService {
  constructor(private readonly deps: ServiceDeps) {}

  list(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return this.deps.store.listAudit(orgId, opts);
  }

  /** Recomputes the org's whole chain in batches and reports the first place it breaks. */
  async verify(orgId: string): Promise<VerifyResult> {
    let head = { seq: 0, hash: GENESIS_HASH };
    let count = 0;
    for await (const batch of batchesAfter((c) => this.deps.store.listAudit(orgId, c))) {
      const r = verifyChain(batch, head);
      if (!r.ok) {
        const at = batch.find((e) => e.seq === r.break.seq);
        return { ok: false, events: count + batch.filter((e) => e.seq < r.break.seq).length, break: { ...r.break, ...(at ? { eventId: at.id } : {}) } };
      }
      count += batch.length;
      head = r.head;
    }
    return { ok: true, events: count, head };
  }
}
