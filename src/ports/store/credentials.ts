import type { AdminKey, AuditDraft, ScimToken } from '../../domain/model.js';

/** SCIM bearer tokens (per org) and admin API keys (per org, or provider-wide), stored by hash only. */
export interface CredentialStore {
  /** Throws `token.limit_reached` if the org already has `maxLive` unrevoked tokens. */
  createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken>;
  findScimTokenByHash(hash: string): Promise<ScimToken | undefined>;
  listScimTokens(orgId: string): Promise<ScimToken[]>;
  revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken>;

  createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey>;
  findAdminKeyByHash(hash: string): Promise<AdminKey | undefined>;
  /** Without orgId: every key. */
  listAdminKeys(orgId?: string): Promise<AdminKey[]>;
  revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey>;
}
