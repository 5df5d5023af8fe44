import { randomUUID } from 'node:crypto';
import type { AuditDraft, AuditEvent, OutboxRecord } from '../../domain/model.js';
import { chainHash, GENESIS_HASH } from '../../ports/audit-chain.js';

export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_HEAD: ChainHead = Object.freeze({ seq: 0, hash: GENESIS_HASH });

/**
 * Builds the next audit event of a chain and the outbox record that goes with it. The draft is
 * round-tripped through JSON first so that what is hashed is exactly what is stored and read back.
 */
export function nextAuditRecords(draft: AuditDraft, head: ChainHead, at: string): { event: AuditEvent; outbox: OutboxRecord } {
  const plain = JSON.parse(JSON.stringify(draft)) as AuditDraft;
  const unhashed = { ...plain, id: randomUUID(), seq: head.seq + 1, at, prevHash: head.hash };
  const event: AuditEvent = { ...unhashed, hash: chainHash(unhashed) };
  const outbox: OutboxRecord = {
    id: event.id,
    orgId: event.orgId,
    seq: event.seq,
    type: event.action,
    createdAt: at,
    payload: {
      action: event.action,
      actor: event.actor,
      target: event.target,
      ...(event.source !== undefined ? { source: event.source } : {}),
      ...(event.before !== undefined ? { before: event.before } : {}),
      ...(event.after !== undefined ? { after: event.after } : {}),
      ...(event.reason !== undefined ? { reason: event.reason } : {}),
      // Every receiver then holds anchors: a head to verify the trail against later (audit verify --anchor).
      auditSeq: event.seq,
      auditHash: event.hash,
    },
  };
  return { event, outbox };
}

export function clampPage(page: { offset?: number; limit?: number } | undefined, defaultLimit: number, maxLimit: number) {
  const offset = Math.max(0, Math.floor(page?.offset ?? 0));
  const limit = Math.min(maxLimit, Math.max(0, Math.floor(page?.limit ?? defaultLimit)));
  return { offset, limit };
}
