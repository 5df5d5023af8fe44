import type { AuditDraft } from '../../domain/model.js';
import type { PurgeReceipt, SupportGrant } from '../../domain/support.js';
import { GENESIS_HASH } from '../../ports/audit-chain.js';
import { PROVIDER_SCOPE, type OrgPurgeStore, type SupportGrantStore, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { orgGone, supportGrantNotFound } from '../shared/record-errors.js';
import { parseJson, RETRY, unexpectedReply, type RedisContext } from './context.js';
import type { OrgKeys } from './keys.js';
import { readRecords } from './reads.js';
import { purgeOrgKeys } from './purge.js';
import { casUpdate, okOrRetry, orgNotFound } from './writes.js';

/** Support access grants (JSON records under the org's tag, listed through a creation-ordered ZSET) and org purges. */
export class RedisSupport implements SupportGrantStore, OrgPurgeStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createSupportGrant(grant: SupportGrant, audit: AuditDraft): Promise<SupportGrant> {
    this.ctx.assertOneSlot(audit, grant.orgId);
    const k = this.#k(grant.orgId);
    return this.ctx.write(grant.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('createRecord', [...a.keys, k.org, k.supportGrant(grant.id), k.supportGrants, k.ordinal], [...a.args, grant.id, JSON.stringify(grant), '']);
      if (r[0] === 'org_not_found') throw orgNotFound(grant.orgId);
      if (r[0] === 'exists') throw unexpectedReply('createRecord', r);
      return okOrRetry('createRecord', r) === RETRY ? RETRY : grant;
    });
  }

  async getSupportGrant(orgId: string, id: string): Promise<SupportGrant | undefined> {
    return parseJson<SupportGrant>(await this.ctx.call((c) => c.get(this.#k(orgId).supportGrant(id))));
  }

  async listSupportGrants(orgId: string): Promise<SupportGrant[]> {
    const k = this.#k(orgId);
    const ids = await this.ctx.call((c) => c.zrevrange(k.supportGrants, '0', '-1'));
    return readRecords<SupportGrant>(this.ctx, ids.map((id) => k.supportGrant(id)));
  }

  async updateSupportGrant(orgId: string, id: string, updater: Updater<SupportGrant>, opts?: UpdateOptions): Promise<UpdateResult<SupportGrant>> {
    const key = this.#k(orgId).supportGrant(id);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: key,
      scope: orgId,
      notFound: () => supportGrantNotFound(id),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }

  /**
   * Not one transaction (an org's keys and the global indexes live in different slots), so ordered
   * to resume: the receipt and the provider audit event first (one script), then the global index
   * entries of the org's records, then the org's keys, the org record last. A run that finds the
   * receipt and the org record still there finishes the purge.
   */
  async purgeOrg(base: Omit<PurgeReceipt, 'lastAuditHash' | 'auditCount'>, audit: AuditDraft): Promise<{ receipt: PurgeReceipt; purged: boolean }> {
    const k = this.#k(base.orgId);
    this.ctx.assertOneSlot(audit, PROVIDER_SCOPE);
    return this.ctx.write(base.orgId, async () => {
      const [kept, orgExists] = await Promise.all([this.getPurgeReceipt(base.orgId), this.ctx.call((c) => c.exists(k.org))]);
      if (kept && orgExists === 0) return { receipt: kept, purged: false };
      let receipt = kept;
      if (!receipt) {
        if (orgExists === 0) throw orgGone(base.orgId);
        receipt = await this.#keepReceipt(base, audit);
      }
      await purgeOrgKeys(this.ctx, base.orgId);
      return { receipt, purged: true };
    });
  }

  async #keepReceipt(base: Omit<PurgeReceipt, 'lastAuditHash' | 'auditCount'>, audit: AuditDraft): Promise<PurgeReceipt> {
    const p = this.#k(PROVIDER_SCOPE);
    for (;;) {
      const head = await this.ctx.readHead(base.orgId);
      const receipt: PurgeReceipt = { ...base, lastAuditHash: head.seq === 0 ? GENESIS_HASH : head.hash, auditCount: head.seq };
      const a = this.ctx.audit(audit, await this.ctx.readHead(PROVIDER_SCOPE));
      const r = await this.ctx.script('createReceipt', [...a.keys, p.purgeReceipt(base.orgId), p.purgeReceipts], [...a.args, base.orgId, JSON.stringify(receipt), Date.parse(base.purgedAt)]);
      if (r[0] === 'ok') return receipt;
      if (r[0] === 'exists') return (await this.getPurgeReceipt(base.orgId))!;
      if (r[0] !== 'head_moved') throw unexpectedReply('createReceipt', r);
    }
  }

  async getPurgeReceipt(orgId: string): Promise<PurgeReceipt | undefined> {
    return parseJson<PurgeReceipt>(await this.ctx.call((c) => c.get(this.#k(PROVIDER_SCOPE).purgeReceipt(orgId))));
  }

  async listPurgeReceipts(): Promise<PurgeReceipt[]> {
    const p = this.#k(PROVIDER_SCOPE);
    const ids = await this.ctx.call((c) => c.zrange(p.purgeReceipts, '0', '-1'));
    return readRecords<PurgeReceipt>(this.ctx, ids.map((id) => p.purgeReceipt(id)));
  }
}
