import type { AuditDraft } from '../../domain/model.js';
import type { PurgeReceipt, SupportGrant } from '../../domain/support.js';
import { GENESIS_HASH } from '../../ports/audit-chain.js';
import type { OrgPurgeStore, SupportGrantStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { orgGone, supportGrantNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type PostgresContext, type Sql } from './context.js';

/** Tables whose rows belong to an org by a column other than `org_id`, and the receipts a purge keeps. */
const NOT_BY_ORG_ID = ['org_purge_receipts', 'orgs'];

/** Support access grants (one JSON row per grant) and org purges (one transaction each, under the org's lock). */
export class PostgresSupport implements SupportGrantStore, OrgPurgeStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createSupportGrant(grant: SupportGrant, audit: AuditDraft): Promise<SupportGrant> {
    return this.ctx.write(grant.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, grant.orgId);
      await tx.exec('INSERT INTO support_grants (id, org_id, version, data) VALUES ($1, $2, $3, $4)', [grant.id, grant.orgId, grant.version, JSON.stringify(grant)]);
      await this.ctx.appendTx(tx, audit);
      return grant;
    });
  }

  async getSupportGrant(orgId: string, id: string): Promise<SupportGrant | undefined> {
    return this.ctx.read((sql) => this.ctx.record<SupportGrant>(sql, 'support_grants', orgId, id));
  }

  async listSupportGrants(orgId: string): Promise<SupportGrant[]> {
    return this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM support_grants WHERE org_id = $1 ORDER BY seq DESC', [orgId])).map((r) => parse<SupportGrant>(r)!));
  }

  async updateSupportGrant(orgId: string, id: string, updater: Updater<SupportGrant>, opts?: UpdateOptions): Promise<UpdateResult<SupportGrant>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.ctx.record<SupportGrant>(tx, 'support_grants', orgId, id, true);
      if (!current) throw supportGrantNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE support_grants SET version = $1, data = $2 WHERE org_id = $3 AND id = $4', [next.version, JSON.stringify(next), orgId, id]);
      });
    });
  }

  async purgeOrg(base: Omit<PurgeReceipt, 'lastAuditHash' | 'auditCount'>, audit: AuditDraft): Promise<{ receipt: PurgeReceipt; purged: boolean }> {
    return this.ctx.write(base.orgId, async (tx) => {
      const kept = await this.#receipt(tx, base.orgId);
      if (kept) return { receipt: kept, purged: false };
      if (!(await tx.one('SELECT 1 FROM orgs WHERE id = $1', [base.orgId]))) throw orgGone(base.orgId);
      const head = await tx.one<{ seq: string | number; hash: string }>('SELECT seq, hash FROM audit_events WHERE org_id = $1 ORDER BY seq DESC LIMIT 1', [base.orgId]);
      const receipt: PurgeReceipt = { ...base, lastAuditHash: head?.hash ?? GENESIS_HASH, auditCount: head ? Number(head.seq) : 0 };
      await tx.exec('INSERT INTO org_purge_receipts (org_id, data) VALUES ($1, $2)', [base.orgId, JSON.stringify(receipt)]);
      await tx.exec('DELETE FROM signal_sets WHERE stream_id IN (SELECT id FROM signal_streams WHERE scope = $1)', [base.orgId]);
      await tx.exec('DELETE FROM signal_streams WHERE scope = $1', [base.orgId]);
      await tx.exec('DELETE FROM org_merges WHERE source_org_id = $1', [base.orgId]);
      const tables = await tx.rows<{ table_name: string }>(
        "SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'org_id' AND table_name <> ALL($1) ORDER BY table_name",
        [NOT_BY_ORG_ID],
      );
      for (const t of tables) await tx.exec(`DELETE FROM "${t.table_name}" WHERE org_id = $1`, [base.orgId]);
      await tx.exec('DELETE FROM orgs WHERE id = $1', [base.orgId]);
      await this.ctx.appendTx(tx, audit);
      return { receipt, purged: true };
    });
  }

  async getPurgeReceipt(orgId: string): Promise<PurgeReceipt | undefined> {
    return this.ctx.read((sql) => this.#receipt(sql, orgId));
  }

  async listPurgeReceipts(): Promise<PurgeReceipt[]> {
    return this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM org_purge_receipts ORDER BY seq')).map((r) => parse<PurgeReceipt>(r)!));
  }

  async #receipt(sql: Sql, orgId: string): Promise<PurgeReceipt | undefined> {
    return parse<PurgeReceipt>(await sql.one<DataRow>('SELECT data FROM org_purge_receipts WHERE org_id = $1', [orgId]));
  }
}
