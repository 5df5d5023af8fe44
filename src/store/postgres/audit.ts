import type { AuditVerification } from '../../domain/audit-verification.js';
import type { AuditDraft, AuditEvent, OutboxRecord } from '../../domain/model.js';
import { MAX_PAGE_LIMIT, type AuditStore } from '../../ports/store.js';
import { parse, type DataRow, type PostgresContext } from './context.js';

type OutboxRow = { org_id: string; seq: number; id: string; type: string; created_at: string; payload: string };

/** The audit chains and their outbox. */
export class PostgresAudit implements AuditStore {
  constructor(private readonly ctx: PostgresContext) {}

  async appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.ctx.write(audit.orgId, (tx) => this.ctx.appendTx(tx, audit));
  }

  async listAudit(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return this.ctx.read(async (sql) =>
      (await sql.rows<DataRow>('SELECT data FROM audit_events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [orgId, opts?.afterSeq ?? 0, opts?.limit ?? MAX_PAGE_LIMIT])).map(
        (r) => parse<AuditEvent>(r)!,
      ),
    );
  }

  async listOutbox(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<OutboxRecord[]> {
    return this.ctx.read(async (sql) =>
      (
        await sql.rows<OutboxRow>('SELECT org_id, seq, id, type, created_at, payload FROM outbox WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT $3', [
          orgId,
          opts?.afterSeq ?? 0,
          opts?.limit ?? MAX_PAGE_LIMIT,
        ])
      ).map((r) => ({ id: r.id, orgId: r.org_id, seq: r.seq, type: r.type, createdAt: r.created_at, payload: JSON.parse(r.payload) as unknown })),
    );
  }

  async getAuditVerification(orgId: string): Promise<AuditVerification | undefined> {
    return this.ctx.read(async (sql) => parse<AuditVerification>(await sql.one<DataRow>('SELECT data FROM audit_verifications WHERE org_id = $1', [orgId])));
  }

  async putAuditVerification(v: AuditVerification): Promise<void> {
    await this.ctx.read((sql) => sql.exec('INSERT INTO audit_verifications (org_id, data) VALUES ($1, $2) ON CONFLICT (org_id) DO UPDATE SET data = excluded.data', [v.orgId, JSON.stringify(v)]));
  }
}
