import { GENESIS_HASH } from '../../ports/audit-chain.js';
import type { AuditDraft } from '../../domain/model.js';
import type { PurgeReceipt, SupportGrant } from '../../domain/support.js';
import type { OrgPurgeStore, SupportGrantStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { orgGone, supportGrantNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';
import type { SqliteScimLog } from './scim-log.js';

/** Tables whose rows belong to an org by a column other than `org_id`, and the receipts a purge keeps. */
const NOT_BY_ORG_ID = new Set(['org_purge_receipts', 'orgs']);

/** Support access grants (one JSON row per grant) and org purges (one transaction each). */
export class SqliteSupport implements SupportGrantStore, OrgPurgeStore {
  constructor(
    private readonly ctx: SqliteContext,
    /** The request log's own file is outside the purge's transaction: its rows go after it, again on a rerun. */
    private readonly scimLog: Pick<SqliteScimLog, 'dropScimLogOf'>,
  ) {}

  async createSupportGrant(grant: SupportGrant, audit: AuditDraft): Promise<SupportGrant> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(grant.orgId);
      this.ctx.stmt('INSERT INTO support_grants (id, org_id, version, data) VALUES (?, ?, ?, ?)').run(grant.id, grant.orgId, grant.version, JSON.stringify(grant));
      this.ctx.appendTx(audit);
      return grant;
    });
  }

  async getSupportGrant(orgId: string, id: string): Promise<SupportGrant | undefined> {
    return this.ctx.run(() => this.ctx.recordTx<SupportGrant>('support_grants', orgId, id));
  }

  async listSupportGrants(orgId: string): Promise<SupportGrant[]> {
    return this.ctx.run(() => (this.ctx.stmt('SELECT data FROM support_grants WHERE org_id = ? ORDER BY seq DESC').all(orgId) as DataRow[]).map((r) => parse<SupportGrant>(r)!));
  }

  async updateSupportGrant(orgId: string, id: string, updater: Updater<SupportGrant>, opts?: UpdateOptions): Promise<UpdateResult<SupportGrant>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<SupportGrant>('support_grants', orgId, id);
      if (!current) throw supportGrantNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE support_grants SET version = ?, data = ? WHERE org_id = ? AND id = ?').run(next.version, JSON.stringify(next), orgId, id);
      });
    });
  }

  /** One transaction: the receipt, the provider audit event and the removal of every row of the org, or nothing. */
  async purgeOrg(base: Omit<PurgeReceipt, 'lastAuditHash' | 'auditCount'>, audit: AuditDraft): Promise<{ receipt: PurgeReceipt; purged: boolean }> {
    const result = this.#purgeRecords(base, audit);
    await this.scimLog.dropScimLogOf(base.orgId);
    return result;
  }

  #purgeRecords(base: Omit<PurgeReceipt, 'lastAuditHash' | 'auditCount'>, audit: AuditDraft): { receipt: PurgeReceipt; purged: boolean } {
    return this.ctx.write(() => {
      const kept = this.#receipt(base.orgId);
      if (kept) return { receipt: kept, purged: false };
      if (!this.ctx.stmt('SELECT 1 FROM orgs WHERE id = ?').get(base.orgId)) throw orgGone(base.orgId);
      const head = this.ctx.stmt('SELECT seq, hash FROM audit_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1').get(base.orgId) as { seq: number; hash: string } | undefined;
      const receipt: PurgeReceipt = { ...base, lastAuditHash: head?.hash ?? GENESIS_HASH, auditCount: head?.seq ?? 0 };
      this.ctx.stmt('INSERT INTO org_purge_receipts (org_id, data) VALUES (?, ?)').run(base.orgId, JSON.stringify(receipt));
      const streams = this.ctx.stmt('SELECT id FROM signal_streams WHERE scope = ?').all(base.orgId) as { id: string }[];
      for (const s of streams) this.ctx.stmt('DELETE FROM signal_sets WHERE stream_id = ?').run(s.id);
      this.ctx.stmt('DELETE FROM signal_streams WHERE scope = ?').run(base.orgId);
      this.ctx.stmt('DELETE FROM org_merges WHERE source_org_id = ?').run(base.orgId);
      for (const table of this.#tablesWithOrgId()) this.ctx.stmt(`DELETE FROM "${table}" WHERE org_id = ?`).run(base.orgId);
      this.ctx.stmt('DELETE FROM orgs WHERE id = ?').run(base.orgId);
      this.ctx.appendTx(audit);
      return { receipt, purged: true };
    });
  }

  async getPurgeReceipt(orgId: string): Promise<PurgeReceipt | undefined> {
    return this.ctx.run(() => this.#receipt(orgId));
  }

  async listPurgeReceipts(): Promise<PurgeReceipt[]> {
    return this.ctx.run(() => (this.ctx.stmt('SELECT data FROM org_purge_receipts ORDER BY seq').all() as DataRow[]).map((r) => parse<PurgeReceipt>(r)!));
  }

  #receipt(orgId: string): PurgeReceipt | undefined {
    return parse<PurgeReceipt>(this.ctx.stmt('SELECT data FROM org_purge_receipts WHERE org_id = ?').get(orgId) as DataRow | undefined);
  }

  /** Every table with an `org_id` column, read from the schema, so a table added later is purged too. */
  #tablesWithOrgId(): string[] {
    const tables = this.ctx.stmt("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    return tables
      .map((t) => t.name)
      .filter((name) => !NOT_BY_ORG_ID.has(name) && (this.ctx.stmt(`SELECT name FROM pragma_table_info(?)`).all(name) as { name: string }[]).some((c) => c.name === 'org_id'));
  }
}
