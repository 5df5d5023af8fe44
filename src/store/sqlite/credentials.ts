import { IdsyncError } from '../../domain/errors.js';
import type { AdminKey, AuditDraft, Organization, ScimClient, ScimToken } from '../../domain/model.js';
import { ChangeWatch } from './change-watch.js';
import { deepFreeze } from '../shared/deep-freeze.js';
import type { CredentialStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

type TokenWithOrg = { token: ScimToken; org: Organization | undefined };

const AUTH_READS_MAX = 10_000;

/** SCIM tokens, SCIM OAuth clients and admin keys. */
export class SqliteCredentials implements CredentialStore {
  /** Token and org of a hash, remembered while neither table changes (ChangeWatch): every SCIM request reads them. */
  private readonly authReads = new Map<string, { stamp: string; found: TokenWithOrg }>();
  private readonly watch: ChangeWatch;

  constructor(private readonly ctx: SqliteContext) {
    this.watch = new ChangeWatch(ctx.db, ['scim_tokens', 'orgs']);
  }

  async createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(token.orgId);
      const { n } = this.ctx.stmt('SELECT count(*) AS n FROM scim_tokens WHERE org_id = ? AND revoked = 0').get(token.orgId) as { n: number };
      if (n >= maxLive) {
        throw new IdsyncError('token.limit_reached', `organization ${token.orgId} already has ${n} live SCIM tokens; revoke one first`, { live: n });
      }
      this.ctx.stmt('INSERT INTO scim_tokens (id, org_id, hash, revoked, data) VALUES (?, ?, ?, 0, ?)').run(token.id, token.orgId, token.hash, JSON.stringify(token));
      this.ctx.appendTx(audit);
      return token;
    });
  }

  async findScimTokenByHash(hash: string): Promise<ScimToken | undefined> {
    return this.ctx.run(() => parse<ScimToken>(this.ctx.stmt('SELECT data FROM scim_tokens WHERE hash = ?').get(hash) as DataRow | undefined));
  }

  async findScimTokenWithOrg(hash: string): Promise<TokenWithOrg | undefined> {
    return this.ctx.run(() => {
      const stamp = this.watch.stamp();
      const known = this.authReads.get(hash);
      if (known?.stamp === stamp) return known.found;
      const row = this.ctx.stmt('SELECT t.data AS token, o.data AS org FROM scim_tokens t LEFT JOIN orgs o ON o.id = t.org_id WHERE t.hash = ?').get(hash) as
        | { token: string; org: string | null }
        | undefined;
      if (!row) return undefined;
      const found = deepFreeze({ token: JSON.parse(row.token) as ScimToken, org: row.org === null ? undefined : (JSON.parse(row.org) as Organization) });
      // Bounded: a token is remembered until the tables change; past the bound the oldest goes.
      if (this.authReads.size >= AUTH_READS_MAX && !this.authReads.has(hash)) this.authReads.delete(this.authReads.keys().next().value!);
      this.authReads.set(hash, { stamp, found });
      return found;
    });
  }

  async listScimTokens(orgId: string): Promise<ScimToken[]> {
    return this.ctx.run(() =>
      (this.ctx.stmt('SELECT data FROM scim_tokens WHERE org_id = ? ORDER BY rowid').all(orgId) as DataRow[]).map((r) => parse<ScimToken>(r)!),
    );
  }

  async revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken> {
    return this.ctx.write(() => {
      const current = parse<ScimToken>(this.ctx.stmt('SELECT data FROM scim_tokens WHERE id = ? AND org_id = ?').get(id, orgId) as DataRow | undefined);
      if (!current) throw new IdsyncError('token.not_found', `SCIM token ${id} not found`, { tokenId: id });
      if (current.revokedAt) return current;
      const next: ScimToken = { ...current, revokedAt: at };
      this.ctx.stmt('UPDATE scim_tokens SET revoked = 1, data = ? WHERE id = ?').run(JSON.stringify(next), id);
      this.ctx.appendTx(audit);
      return next;
    });
  }

  async touchScimToken(orgId: string, id: string, at: string): Promise<boolean> {
    return this.ctx.run(
      () =>
        this.ctx
          .stmt("UPDATE scim_tokens SET data = json_set(data, '$.lastUsedAt', ?) WHERE id = ? AND org_id = ? AND revoked = 0 AND coalesce(json_extract(data, '$.lastUsedAt'), '') < ?")
          .run(at, id, orgId, at).changes > 0,
    );
  }

  async createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey> {
    return this.ctx.write(() => {
      if (key.orgId !== undefined) this.ctx.assertOrg(key.orgId);
      this.ctx.stmt('INSERT INTO admin_keys (id, org_id, hash, data) VALUES (?, ?, ?, ?)').run(key.id, key.orgId ?? null, key.hash, JSON.stringify(key));
      this.ctx.appendTx(audit);
      return key;
    });
  }

  async findAdminKeyByHash(hash: string): Promise<AdminKey | undefined> {
    return this.ctx.run(() => parse<AdminKey>(this.ctx.stmt('SELECT data FROM admin_keys WHERE hash = ?').get(hash) as DataRow | undefined));
  }

  async listAdminKeys(orgId?: string): Promise<AdminKey[]> {
    return this.ctx.run(() => {
      const rows =
        orgId === undefined
          ? (this.ctx.stmt('SELECT data FROM admin_keys ORDER BY rowid').all() as DataRow[])
          : (this.ctx.stmt('SELECT data FROM admin_keys WHERE org_id = ? ORDER BY rowid').all(orgId) as DataRow[]);
      return rows.map((r) => parse<AdminKey>(r)!);
    });
  }

  async revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey> {
    return this.ctx.write(() => {
      const current = parse<AdminKey>(this.ctx.stmt('SELECT data FROM admin_keys WHERE id = ?').get(id) as DataRow | undefined);
      if (!current) throw new IdsyncError('token.not_found', `admin key ${id} not found`, { keyId: id });
      if (current.revokedAt) return current;
      const next: AdminKey = { ...current, revokedAt: at };
      this.ctx.stmt('UPDATE admin_keys SET data = ? WHERE id = ?').run(JSON.stringify(next), id);
      this.ctx.appendTx(audit);
      return next;
    });
  }

  async createScimClient(client: ScimClient, audit: AuditDraft): Promise<ScimClient> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(client.orgId);
      try {
        this.ctx.stmt('INSERT INTO scim_clients (id, org_id, version, data) VALUES (?, ?, ?, ?)').run(client.id, client.orgId, client.version, JSON.stringify(client));
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'SCIM client', client.id);
      }
      this.ctx.appendTx(audit);
      return client;
    });
  }

  async getScimClient(id: string): Promise<ScimClient | undefined> {
    return this.ctx.run(() => parse<ScimClient>(this.ctx.stmt('SELECT data FROM scim_clients WHERE id = ?').get(id) as DataRow | undefined));
  }

  async listScimClients(orgId: string): Promise<ScimClient[]> {
    return this.ctx.run(() =>
      (this.ctx.stmt('SELECT data FROM scim_clients WHERE org_id = ? ORDER BY seq').all(orgId) as DataRow[]).map((r) => parse<ScimClient>(r)!),
    );
  }

  async updateScimClient(id: string, updater: Updater<ScimClient>, opts?: UpdateOptions): Promise<UpdateResult<ScimClient>> {
    return this.ctx.write(() => {
      const current = parse<ScimClient>(this.ctx.stmt('SELECT data FROM scim_clients WHERE id = ?').get(id) as DataRow | undefined);
      if (!current) throw new IdsyncError('token.not_found', `SCIM client ${id} not found`, { clientId: id });
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE scim_clients SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }
}
