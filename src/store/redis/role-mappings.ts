import type { AuditDraft, RoleMapping } from '../../domain/model.js';
import type { RoleMappingStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { roleMappingExists, roleMappingNotFound } from '../shared/record-errors.js';
import { parseJson, RETRY, type RedisContext } from './context.js';
import type { OrgKeys } from './keys.js';
import { readRecords } from './reads.js';
import { casUpdate, okOrRetry, orgNotFound } from './writes.js';

/** Role mappings: JSON records under the org's tag, listed through a creation-ordered ZSET. */
export class RedisRoleMappings implements RoleMappingStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createRoleMapping(mapping: RoleMapping, audit: AuditDraft): Promise<RoleMapping> {
    this.ctx.assertOneSlot(audit, mapping.orgId);
    const k = this.#k(mapping.orgId);
    return this.ctx.write(mapping.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('createRecord', [...a.keys, k.org, k.roleMapping(mapping.id), k.roleMappings, k.ordinal], [...a.args, mapping.id, JSON.stringify(mapping), '']);
      if (r[0] === 'exists') throw roleMappingExists(mapping.id);
      if (r[0] === 'org_not_found') throw orgNotFound(mapping.orgId);
      return okOrRetry('createRecord', r) === RETRY ? RETRY : mapping;
    });
  }

  async getRoleMapping(orgId: string, id: string): Promise<RoleMapping | undefined> {
    return parseJson<RoleMapping>(await this.ctx.call((c) => c.get(this.#k(orgId).roleMapping(id))));
  }

  async listRoleMappings(orgId: string): Promise<RoleMapping[]> {
    const k = this.#k(orgId);
    const ids = await this.ctx.call((c) => c.zrange(k.roleMappings, '0', '-1'));
    return readRecords<RoleMapping>(this.ctx, ids.map((id) => k.roleMapping(id)));
  }

  async updateRoleMapping(orgId: string, id: string, updater: Updater<RoleMapping>, opts?: UpdateOptions): Promise<UpdateResult<RoleMapping>> {
    const key = this.#k(orgId).roleMapping(id);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: key,
      scope: orgId,
      notFound: () => roleMappingNotFound(id),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }

  async deleteRoleMapping(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.#k(orgId);
    await this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(k.roleMapping(id)));
      if (raw === null) throw roleMappingNotFound(id);
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('deleteRecord', [...a.keys, k.roleMapping(id), k.roleMappings], [...a.args, id, raw]);
      return okOrRetry('deleteRecord', r) === RETRY ? RETRY : undefined;
    });
  }
}
