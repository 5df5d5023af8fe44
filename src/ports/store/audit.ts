import type { AuditVerification } from '../../domain/audit-verification.js';
import type { AuditDraft, AuditEvent, OutboxRecord } from '../../domain/model.js';

/**
 * Each org's hash-chained audit trail and the outbox that mirrors it record for record. Every
 * audited write of the other areas appends to both; this area appends an event that goes with no
 * other change and reads both back.
 */
export interface AuditStore {
  /** Appends an audit event (and its outbox record) that goes with no other change. */
  appendAudit(audit: AuditDraft): Promise<AuditEvent>;
  /** Events with seq > afterSeq, ascending. */
  listAudit(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]>;
  listOutbox(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<OutboxRecord[]>;
  /** The org's latest chain verification (bookkeeping: no audit event, not moved by migrate-store). */
  getAuditVerification(orgId: string): Promise<AuditVerification | undefined>;
  /** Writes the org's verification record whole, replacing the one before (the caller holds the org's verify lease). */
  putAuditVerification(v: AuditVerification): Promise<void>;
}
