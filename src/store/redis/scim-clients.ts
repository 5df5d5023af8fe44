import { IdsyncError } from '../../domain/errors.js';
import type { AuditDraft, ScimClient } from '../../domain/model.js';
import type { UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { parseJson, RETRY, type RedisContext } from './context.js';
import { claimHashEntry, releaseHashEntry } from './global-index.js';
import { readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound } from './writes.js';

/**
 * SCIM OAuth clients: the record under its org's tag, found by client id through the global
 * `{scim-clients}` HASH (id -> org), with the same protocol as the other global indexes (see
 * global-index.ts): the entry first, then the record and its audit event in one script, the entry
 * released only when that script refused for certain, and every read checks the record.
 */
export class RedisScimClients {
  constructor(private readonly ctx: RedisContext) {}

  async create(client: ScimClient, audit: AuditDraft): Promise<ScimClient> {
    this.ctx.assertOneSlot(audit, client.orgId);
    const byId = this.ctx.keys.scimClients.byId;
    await claimHashEntry(this.ctx, byId, client.id, client.orgId, 'SCIM client');
    const k = this.ctx.keys.forOrg(client.orgId);
    let refused = false;
    try {
      return await this.ctx.write(client.orgId, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const r = await this.ctx.script('createRecord', [...a.keys, k.org, k.scimClient(client.id), k.scimClients, k.ordinal], [...a.args, client.id, JSON.stringify(client), '']);
        if (r[0] === 'exists') throw duplicateId('SCIM client', client.id);
        if (r[0] === 'org_not_found') {
          refused = true;
          throw orgNotFound(client.orgId);
        }
        return okOrRetry('createRecord', r) === RETRY ? RETRY : client;
      });
    } catch (err) {
      if (refused) await releaseHashEntry(this.ctx, byId, client.id, client.orgId);
      throw err;
    }
  }

  async get(id: string): Promise<ScimClient | undefined> {
    const orgId = await this.ctx.call((c) => c.hget(this.ctx.keys.scimClients.byId, id));
    if (orgId === null) return undefined;
    const client = parseJson<ScimClient>(await this.ctx.call((c) => c.get(this.ctx.keys.forOrg(orgId).scimClient(id))));
    return client?.orgId === orgId ? client : undefined;
  }

  async list(orgId: string): Promise<ScimClient[]> {
    const k = this.ctx.keys.forOrg(orgId);
    const ids = await this.ctx.call((c) => c.zrange(k.scimClients, '0', '-1'));
    return readRecords<ScimClient>(this.ctx, ids.map((id) => k.scimClient(id)));
  }

  async update(id: string, updater: Updater<ScimClient>, opts?: UpdateOptions): Promise<UpdateResult<ScimClient>> {
    const notFound = () => new IdsyncError('token.not_found', `SCIM client ${id} not found`, { clientId: id });
    const orgId = await this.ctx.call((c) => c.hget(this.ctx.keys.scimClients.byId, id));
    if (orgId === null) throw notFound();
    const key = this.ctx.keys.forOrg(orgId).scimClient(id);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: key,
      scope: orgId,
      notFound,
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }
}
