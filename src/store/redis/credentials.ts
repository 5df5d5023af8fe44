import { IdsyncError } from '../../domain/errors.js';
import type { AdminKey, AuditDraft, Organization, ScimClient, ScimToken } from '../../domain/model.js';
import { PROVIDER_SCOPE, type CredentialStore, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { parseJson, RETRY, unexpectedReply, type RedisContext } from './context.js';
import { readRecords } from './reads.js';
import { RedisScimClients } from './scim-clients.js';
import { duplicateId, okOrRetry, orgNotFound } from './writes.js';

interface TokenRef {
  orgId: string;
  id: string;
}
interface KeyRef {
  scope: string;
  id: string;
}

/**
 * SCIM tokens and admin keys. Their records live under the tag of their org (admin keys without an
 * org under the provider scope), next to the audit chain their events go to, so the record and its
 * event are written by one script. They are found by hash through global indexes with tags of
 * their own (`{scim}`, `{admin}`), which no script can change together with an org's keys on a
 * Cluster. So:
 * - the global entries are written first, idempotently (the same entry again is fine, a different
 *   one is refused);
 * - then the record and its audit event, atomically;
 * - when that script refuses for certain (no such org, token limit), the entries are removed again
 *   by compare-and-delete; after an unknown outcome (connection lost) they are kept, since the
 *   record may exist;
 * - every lookup through a global entry reads the record and checks it exists and carries that
 *   hash, so an entry left behind by a crash never authenticates anyone.
 */
export class RedisCredentials implements CredentialStore {
  readonly #clients: RedisScimClients;

  constructor(private readonly ctx: RedisContext) {
    this.#clients = new RedisScimClients(ctx);
  }

  createScimClient(client: ScimClient, audit: AuditDraft): Promise<ScimClient> {
    return this.#clients.create(client, audit);
  }

  getScimClient(id: string): Promise<ScimClient | undefined> {
    return this.#clients.get(id);
  }

  listScimClients(orgId: string): Promise<ScimClient[]> {
    return this.#clients.list(orgId);
  }

  updateScimClient(id: string, updater: Updater<ScimClient>, opts?: UpdateOptions): Promise<UpdateResult<ScimClient>> {
    return this.#clients.update(id, updater, opts);
  }

  async createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken> {
    this.ctx.assertOneSlot(audit, token.orgId);
    const byHash = this.ctx.keys.scim.byHash;
    const ref = JSON.stringify({ orgId: token.orgId, id: token.id } satisfies TokenRef);
    const added = await this.ctx.call((c) => c.hsetnx(byHash, token.hash, ref));
    if (added === 0 && (await this.ctx.call((c) => c.hget(byHash, token.hash))) !== ref) {
      throw new IdsyncError('internal', 'another SCIM token already has this hash', { tokenId: token.id });
    }
    const k = this.ctx.keys.forOrg(token.orgId);
    let refused = false;
    try {
      return await this.ctx.write(token.orgId, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const r = await this.ctx.script(
          'createScimToken',
          [...a.keys, k.org, k.scimToken(token.id), k.scimTokens, k.liveScimTokens, k.ordinal],
          [...a.args, token.id, JSON.stringify(token), maxLive, token.revokedAt === undefined ? '1' : '0'],
        );
        switch (r[0]) {
          case 'ok':
            return token;
          case 'head_moved':
            return RETRY;
          case 'exists':
            throw duplicateId('SCIM token', token.id);
          case 'org_not_found':
            refused = true;
            throw orgNotFound(token.orgId);
          case 'limit_reached':
            refused = true;
            throw new IdsyncError('token.limit_reached', `organization ${token.orgId} already has ${r[1]} live SCIM tokens; revoke one first`, {
              live: Number(r[1]),
            });
          default:
            throw unexpectedReply('createScimToken', r);
        }
      });
    } catch (err) {
      if (refused) await this.#compensate(() => this.ctx.script('hdelIfEquals', [byHash], [token.hash, ref]));
      throw err;
    }
  }

  async findScimTokenByHash(hash: string): Promise<ScimToken | undefined> {
    const ref = parseJson<TokenRef>(await this.ctx.call((c) => c.hget(this.ctx.keys.scim.byHash, hash)));
    if (!ref) return undefined;
    const token = parseJson<ScimToken>(await this.ctx.call((c) => c.get(this.ctx.keys.forOrg(ref.orgId).scimToken(ref.id))));
    return token?.hash === hash ? token : undefined;
  }

  /** Two round trips: the hash's index entry, then the token and its org together (one slot: MGET). */
  async findScimTokenWithOrg(hash: string): Promise<{ token: ScimToken; org: Organization | undefined } | undefined> {
    const ref = parseJson<TokenRef>(await this.ctx.call((c) => c.hget(this.ctx.keys.scim.byHash, hash)));
    if (!ref) return undefined;
    const k = this.ctx.keys.forOrg(ref.orgId);
    const [tokenJson, orgJson] = await this.ctx.call((c) => c.mget(k.scimToken(ref.id), k.org));
    const token = parseJson<ScimToken>(tokenJson ?? null);
    if (token?.hash !== hash) return undefined;
    return { token, org: parseJson<Organization>(orgJson ?? null) };
  }

  async listScimTokens(orgId: string): Promise<ScimToken[]> {
    const k = this.ctx.keys.forOrg(orgId);
    const ids = await this.ctx.call((c) => c.zrange(k.scimTokens, '0', '-1'));
    return readRecords<ScimToken>(this.ctx, ids.map((id) => k.scimToken(id)));
  }

  async revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.ctx.keys.forOrg(orgId);
    return this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(k.scimToken(id)));
      const current = parseJson<ScimToken>(raw);
      if (raw === null || !current) throw new IdsyncError('token.not_found', `SCIM token ${id} not found`, { tokenId: id });
      if (current.revokedAt) return current;
      const next: ScimToken = { ...current, revokedAt: at };
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('revokeScimToken', [...a.keys, k.scimToken(id), k.liveScimTokens], [...a.args, id, raw, JSON.stringify(next)]);
      return okOrRetry('revokeScimToken', r) === RETRY ? RETRY : next;
    });
  }

  /** Compare-and-swap without the org's write lock: a revoke or another touch in between wins, and this one is dropped. */
  async touchScimToken(orgId: string, id: string, at: string): Promise<boolean> {
    const key = this.ctx.keys.forOrg(orgId).scimToken(id);
    const raw = await this.ctx.call((c) => c.get(key));
    const current = parseJson<ScimToken>(raw);
    if (raw === null || !current || current.orgId !== orgId || current.revokedAt || (current.lastUsedAt ?? '') >= at) return false;
    const r = await this.ctx.script('replaceIfEquals', [key], [raw, JSON.stringify({ ...current, lastUsedAt: at } satisfies ScimToken)]);
    return r[0] === 'ok';
  }

  async createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey> {
    const scope = key.orgId ?? PROVIDER_SCOPE;
    this.ctx.assertOneSlot(audit, scope);
    const g = this.ctx.keys.admin;
    const ref = JSON.stringify({ scope, id: key.id } satisfies KeyRef);
    const index = await this.ctx.script('indexAdminKey', [g.ordinal, g.all, g.byHash, g.byId], [key.id, key.hash, ref, scope]);
    if (index[0] === 'hash_taken') throw new IdsyncError('internal', 'another admin key already has this hash', { keyId: key.id });
    if (index[0] === 'id_taken') throw duplicateId('admin key', key.id);
    if (index[0] !== 'ok') throw unexpectedReply('indexAdminKey', index);
    const k = this.ctx.keys.forOrg(scope);
    let refused = false;
    try {
      return await this.ctx.write(scope, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const r = await this.ctx.script(
          'createAdminKey',
          [...a.keys, k.org, k.adminKey(key.id), k.adminKeys],
          [...a.args, key.id, JSON.stringify(key), Number(index[1]), key.orgId === undefined ? '0' : '1'],
        );
        switch (r[0]) {
          case 'ok':
            return key;
          case 'head_moved':
            return RETRY;
          case 'exists':
            throw duplicateId('admin key', key.id);
          case 'org_not_found':
            refused = true;
            throw orgNotFound(scope);
          default:
            throw unexpectedReply('createAdminKey', r);
        }
      });
    } catch (err) {
      if (refused) await this.#compensate(() => this.ctx.script('unindexAdminKey', [g.all, g.byHash, g.byId], [key.id, key.hash, ref, scope]));
      throw err;
    }
  }

  async findAdminKeyByHash(hash: string): Promise<AdminKey | undefined> {
    const ref = parseJson<KeyRef>(await this.ctx.call((c) => c.hget(this.ctx.keys.admin.byHash, hash)));
    if (!ref) return undefined;
    const key = await this.#readAdminKey(ref.scope, ref.id);
    return key?.hash === hash ? key : undefined;
  }

  /** Without orgId: every key, in creation order, through the global index (entries without a record are skipped). */
  async listAdminKeys(orgId?: string): Promise<AdminKey[]> {
    if (orgId !== undefined) {
      const k = this.ctx.keys.forOrg(orgId);
      const ids = await this.ctx.call((c) => c.zrange(k.adminKeys, '0', '-1'));
      return (await readRecords<AdminKey>(this.ctx, ids.map((id) => k.adminKey(id)))).filter((key) => key.orgId === orgId);
    }
    const g = this.ctx.keys.admin;
    const ids = await this.ctx.call((c) => c.zrange(g.all, '0', '-1'));
    if (ids.length === 0) return [];
    const scopes = await this.ctx.call((c) => c.hmget(g.byId, ...ids));
    const keys = await Promise.all(ids.map((id, i) => (scopes[i] ? this.#readAdminKey(scopes[i], id) : undefined)));
    return keys.filter((key): key is AdminKey => key !== undefined);
  }

  async revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey> {
    const notFound = () => new IdsyncError('token.not_found', `admin key ${id} not found`, { keyId: id });
    const scope = await this.ctx.call((c) => c.hget(this.ctx.keys.admin.byId, id));
    if (scope === null) throw notFound();
    this.ctx.assertOneSlot(audit, scope);
    const k = this.ctx.keys.forOrg(scope);
    return this.ctx.write(scope, async () => {
      const raw = await this.ctx.call((c) => c.get(k.adminKey(id)));
      const current = parseJson<AdminKey>(raw);
      if (raw === null || !current) throw notFound();
      if (current.revokedAt) return current;
      const next: AdminKey = { ...current, revokedAt: at };
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('replaceRecord', [...a.keys, k.adminKey(id)], [...a.args, raw, JSON.stringify(next)]);
      return okOrRetry('replaceRecord', r) === RETRY ? RETRY : next;
    });
  }

  async #readAdminKey(scope: string, id: string): Promise<AdminKey | undefined> {
    return parseJson<AdminKey>(await this.ctx.call((c) => c.get(this.ctx.keys.forOrg(scope).adminKey(id))));
  }

  /** Best effort: an entry left behind is harmless (lookups check the record), so a failure here is not reported. */
  async #compensate(undo: () => Promise<unknown>): Promise<void> {
    try {
      await undo();
    } catch {
      // The original refusal is what the caller needs to see.
    }
  }
}
