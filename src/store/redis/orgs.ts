import { IdsyncError } from '../../domain/errors.js';
import type { AuditDraft, Organization } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type OrgStore, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { parseJson, RETRY, unexpectedReply, type RedisContext } from './context.js';
import { markBuiltIfEmpty } from './cross-org.js';
import type { OrgKeys } from './keys.js';
import { casUpdate, duplicateId, okOrRetry } from './writes.js';

/** Organizations: records under each org's tag, listed through the global `{orgs}` index. */
export class RedisOrgs implements OrgStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  /**
   * The org list is a global index (tag `{orgs}`) and the record lives under the org's tag, so the
   * two cannot change in one script on a Cluster. The list entry is written first (idempotently),
   * then the record with its audit event in one script; listOrgs only shows ids whose record exists.
   * A crash in between leaves an entry that is never shown and does no harm.
   */
  async createOrg(org: Organization, audit: AuditDraft): Promise<Organization> {
    this.ctx.assertOneSlot(audit, org.id);
    const { orgs } = this.ctx.keys;
    await markBuiltIfEmpty(this.ctx);
    await this.ctx.script('indexOrg', [orgs.ordinal, orgs.all], [org.id]);
    return this.ctx.write(org.id, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const reply = await this.ctx.script('createOrg', [...a.keys, this.#k(org.id).org], [...a.args, JSON.stringify(org)]);
      if (reply[0] === 'head_moved') return RETRY;
      if (reply[0] === 'exists') throw duplicateId('organization', org.id);
      if (reply[0] !== 'ok') throw unexpectedReply('createOrg', reply);
      return org;
    });
  }

  async getOrg(id: string): Promise<Organization | undefined> {
    return parseJson<Organization>(await this.ctx.call((c) => c.get(this.#k(id).org)));
  }

  /** Reads the whole (small) org index to skip entries without a record, so the total is exact. */
  async listOrgs(page?: PageRequest): Promise<Page<Organization>> {
    const ids = await this.ctx.call((c) => c.zrange(this.ctx.keys.orgs.all, '0', '-1'));
    const exists = await this.ctx.call((c) => Promise.all(ids.map((id) => c.exists(this.#k(id).org))));
    const live = ids.filter((_, i) => exists[i] === 1);
    const { items } = sliceOf(live, page);
    const records = await Promise.all(items.map((id) => this.getOrg(id)));
    return { items: records.filter((o): o is Organization => o !== undefined), total: live.length };
  }

  async updateOrg(id: string, updater: Updater<Organization>, opts?: UpdateOptions): Promise<UpdateResult<Organization>> {
    const key = this.#k(id).org;
    return casUpdate(this.ctx, {
      lockKey: id,
      recordKey: key,
      scope: id,
      notFound: () => new IdsyncError('org.not_found', `organization ${id} not found`),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }
}

function sliceOf<T>(all: T[], page: PageRequest | undefined): { items: T[] } {
  const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
  return { items: all.slice(offset, offset + limit) };
}
