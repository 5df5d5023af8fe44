import type { AuditVerification } from '../../domain/audit-verification.js';
import type { AuditDraft, AuditEvent, OutboxRecord } from '../../domain/model.js';
import type { AuditStore } from '../../ports/store.js';
import { parseJson, RETRY, type RedisContext } from './context.js';
import { readChain } from './reads.js';
import { okOrRetry } from './writes.js';

/** The audit chains and their outbox (lists under each org's tag, head compared by every writing script). */
export class RedisAudit implements AuditStore {
  constructor(private readonly ctx: RedisContext) {}

  async appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.ctx.write(audit.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      return okOrRetry('appendAudit', await this.ctx.script('appendAudit', a.keys, a.args)) === RETRY ? RETRY : a.event;
    });
  }

  async listAudit(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<AuditEvent[]> {
    return readChain<AuditEvent>(this.ctx, orgId, 'auditEvents', opts);
  }

  async listOutbox(orgId: string, opts?: { afterSeq?: number; limit?: number }): Promise<OutboxRecord[]> {
    return readChain<OutboxRecord>(this.ctx, orgId, 'outbox', opts);
  }

  async getAuditVerification(orgId: string): Promise<AuditVerification | undefined> {
    return parseJson<AuditVerification>(await this.ctx.call((c) => c.get(this.ctx.keys.forOrg(orgId).auditVerification)));
  }

  async putAuditVerification(v: AuditVerification): Promise<void> {
    await this.ctx.call((c) => c.set(this.ctx.keys.forOrg(v.orgId).auditVerification, JSON.stringify(v)));
  }
}
