import { IdsyncError } from '../../domain/errors.js';
import type { AdminKey, AuditDraft, Organization, ScimClient, ScimToken } from '../../domain/model.js';
import type { CredentialStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { parse, type DataRow, type PostgresContext } from './context.js';

const tokenNotFound = (what: string, id: string, details: Record<string, string>) => new IdsyncError('token.not_found', `${what} ${id} not found`, details);

/** SCIM tokens, SCIM OAuth clients and admin keys. */
export class PostgresCredentials implements CredentialStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken> {
    return this.ctx.write(token.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, token.orgId);
      const { n } = (await tx.one<{ n: number }>('SELECT count(*)::int AS n FROM scim_tokens WHERE org_id = $1 AND NOT revoked', [token.orgId]))!;
      if (n >= maxLive) throw new IdsyncError('token.limit_reached', `organization ${token.orgId} already has ${n} live SCIM tokens; revoke one first`, { live: n });
      await tx.exec('INSERT INTO scim_tokens (id, org_id, hash, revoked, data) VALUES ($1, $2, $3, false, $4)', [token.id, token.orgId, token.hash, JSON.stringify(token)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'SCIM token', token.id);
      });
      await this.ctx.appendTx(tx, audit);
      return token;
    });
  }

  async findScimTokenByHash(hash: string): Promise<ScimToken | undefined> {
    return this.ctx.read(async (sql) => parse<ScimToken>(await sql.one<DataRow>('SELECT data FROM scim_tokens WHERE hash = $1', [hash])));
  }

  /** One round trip: the token joined to its org. */
  async findScimTokenWithOrg(hash: string): Promise<{ token: ScimToken; org: Organization | undefined } | undefined> {
    return this.ctx.read(async (sql) => {
      const row = await sql.one<{ token: string; org: string | null }>('SELECT t.data AS token, o.data AS org FROM scim_tokens t LEFT JOIN orgs o ON o.id = t.org_id WHERE t.hash = $1', [hash]);
      if (!row) return undefined;
      return { token: parse<ScimToken>({ data: row.token })!, org: row.org === null ? undefined : parse<Organization>({ data: row.org }) };
    });
  }

  async listScimTokens(orgId: string): Promise<ScimToken[]> {
    return this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM scim_tokens WHERE org_id = $1 ORDER BY seq', [orgId])).map((r) => parse<ScimToken>(r)!));
  }

  async revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken> {
    return this.ctx.write(audit.orgId, async (tx) => {
      const current = await this.ctx.record<ScimToken>(tx, 'scim_tokens', orgId, id, true);
      if (!current) throw tokenNotFound('SCIM token', id, { tokenId: id });
      if (current.revokedAt) return current;
      const next: ScimToken = { ...current, revokedAt: at };
      await tx.exec('UPDATE scim_tokens SET revoked = true, data = $1 WHERE id = $2', [JSON.stringify(next), id]);
      await this.ctx.appendTx(tx, audit);
      return next;
    });
  }

  async touchScimToken(orgId: string, id: string, at: string): Promise<boolean> {
    return this.ctx.read(
      async (sql) =>
        (await sql.exec(
          "UPDATE scim_tokens SET data = jsonb_set(data::jsonb, '{lastUsedAt}', to_jsonb($1::text))::text WHERE id = $2 AND org_id = $3 AND NOT revoked AND coalesce(data::jsonb->>'lastUsedAt', '') < $1",
          [at, id, orgId],
        )) > 0,
    );
  }

  async createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey> {
    return this.ctx.write(audit.orgId, async (tx) => {
      if (key.orgId !== undefined) await this.ctx.assertOrg(tx, key.orgId);
      await tx.exec('INSERT INTO admin_keys (id, org_id, hash, data) VALUES ($1, $2, $3, $4)', [key.id, key.orgId ?? null, key.hash, JSON.stringify(key)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'admin key', key.id);
      });
      await this.ctx.appendTx(tx, audit);
      return key;
    });
  }

  async findAdminKeyByHash(hash: string): Promise<AdminKey | undefined> {
    return this.ctx.read(async (sql) => parse<AdminKey>(await sql.one<DataRow>('SELECT data FROM admin_keys WHERE hash = $1', [hash])));
  }

  async listAdminKeys(orgId?: string): Promise<AdminKey[]> {
    return this.ctx.read(async (sql) => {
      const rows =
        orgId === undefined
          ? await sql.rows<DataRow>('SELECT data FROM admin_keys ORDER BY seq')
          : await sql.rows<DataRow>('SELECT data FROM admin_keys WHERE org_id = $1 ORDER BY seq', [orgId]);
      return rows.map((r) => parse<AdminKey>(r)!);
    });
  }

  async revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey> {
    return this.ctx.write(audit.orgId, async (tx) => {
      const current = parse<AdminKey>(await tx.one<DataRow>('SELECT data FROM admin_keys WHERE id = $1 FOR UPDATE', [id]));
      if (!current) throw tokenNotFound('admin key', id, { keyId: id });
      if (current.revokedAt) return current;
      const next: AdminKey = { ...current, revokedAt: at };
      await tx.exec('UPDATE admin_keys SET data = $1 WHERE id = $2', [JSON.stringify(next), id]);
      await this.ctx.appendTx(tx, audit);
      return next;
    });
  }

  async createScimClient(client: ScimClient, audit: AuditDraft): Promise<ScimClient> {
    return this.ctx.write(audit.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, client.orgId);
      await tx.exec('INSERT INTO scim_clients (id, org_id, version, data) VALUES ($1, $2, $3, $4)', [client.id, client.orgId, client.version, JSON.stringify(client)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'SCIM client', client.id);
      });
      await this.ctx.appendTx(tx, audit);
      return client;
    });
  }

  async getScimClient(id: string): Promise<ScimClient | undefined> {
    return this.ctx.read(async (sql) => parse<ScimClient>(await sql.one<DataRow>('SELECT data FROM scim_clients WHERE id = $1', [id])));
  }

  async listScimClients(orgId: string): Promise<ScimClient[]> {
    return this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM scim_clients WHERE org_id = $1 ORDER BY seq', [orgId])).map((r) => parse<ScimClient>(r)!));
  }

  /** The client's org is looked up first, so its write lock is taken before the row's (one lock order everywhere). */
  async updateScimClient(id: string, updater: Updater<ScimClient>, opts?: UpdateOptions): Promise<UpdateResult<ScimClient>> {
    const owner = await this.ctx.read((sql) => sql.one<{ org_id: string }>('SELECT org_id FROM scim_clients WHERE id = $1', [id]));
    if (!owner) throw tokenNotFound('SCIM client', id, { clientId: id });
    return this.ctx.write(owner.org_id, async (tx) => {
      const current = parse<ScimClient>(await tx.one<DataRow>('SELECT data FROM scim_clients WHERE id = $1 FOR UPDATE', [id]));
      if (!current) throw tokenNotFound('SCIM client', id, { clientId: id });
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE scim_clients SET version = $1, data = $2 WHERE id = $3', [next.version, JSON.stringify(next), id]);
      });
    });
  }
}
