import type { AuditVerification } from '../../domain/audit-verification.js';
import type { AuditDraft, AuditEvent, OutboxRecord } from '../../domain/model.js';
import { MAX_PAGE_LIMIT, type AuditStore } from '../../ports/store.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** The audit chains and their outbox. */
export class SqliteAudit implements AuditStore {
  constructor(private readonly ctx: SqliteContext) {}

  async appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.ctx.write(() => this.ctx.appendTx(audit));
  }

  async listAudit(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return this.ctx.run(() =>
      (
        this.ctx
          .stmt('SELECT data FROM audit_events WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?')
          .all(orgId, opts?.afterSeq ?? 0, opts?.limit ?? MAX_PAGE_LIMIT) as DataRow[]
      ).map((r) => parse<AuditEvent>(r)!),
    );
  }

  async listOutbox(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<OutboxRecord[]> {
    return this.ctx.run(() =>
      (
        this.ctx
          .stmt('SELECT org_id, seq, id, type, created_at, payload FROM outbox WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ?')
          .all(orgId, opts?.afterSeq ?? 0, opts?.limit ?? MAX_PAGE_LIMIT) as {
          org_id: string;
          seq: number;
          id: string;
          type: string;
          created_at: string;
          payload: string;
        }[]
      ).map((r) => ({ id: r.id, orgId: r.org_id, seq: r.seq, type: r.type, createdAt: r.created_at, payload: JSON.parse(r.payload) as unknown })),
    );
  }

  async getAuditVerification(orgId: string): Promise<AuditVerification | undefined> {
    return this.ctx.run(() => parse<AuditVerification>(this.ctx.stmt('SELECT data FROM audit_verifications WHERE org_id = ?').get(orgId) as DataRow | undefined));
  }

  async putAuditVerification(v: AuditVerification): Promise<void> {
    this.ctx.write(() => this.ctx.stmt('INSERT INTO audit_verifications (org_id, data) VALUES (?, ?) ON CONFLICT (org_id) DO UPDATE SET data = excluded.data').run(v.orgId, JSON.stringify(v)));
  }
}
