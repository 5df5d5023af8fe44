import type { AdminKey, AuditDraft, Organization, ScimClient, ScimToken } from '../../domain/model.js';
import type { UpdateOptions, UpdateResult, Updater } from './types.js';

/** SCIM bearer tokens and OAuth clients (per org) and admin API keys (per org, or provider-wide), secrets stored by hash only. */
export interface CredentialStore {
  /** Throws `token.limit_reached` if the org already has `maxLive` unrevoked tokens. */
  createScimToken(token: ScimToken, audit: AuditDraft, maxLive: number): Promise<ScimToken>;
  findScimTokenByHash(hash: string): Promise<ScimToken | undefined>;
  /**
   * What authenticating a SCIM request needs in one read: the token of a hash and its org (absent
   * when the org is gone). Never stale (a revocation or an org state change is seen by the next
   * call, whichever process made it); the records may be shared between calls: treat them as
   * read-only.
   */
  findScimTokenWithOrg(hash: string): Promise<{ token: ScimToken; org: Organization | undefined } | undefined>;
  listScimTokens(orgId: string): Promise<ScimToken[]>;
  revokeScimToken(orgId: string, id: string, at: string, audit: AuditDraft): Promise<ScimToken>;
  /**
   * Bookkeeping, not audited: sets the token's `lastUsedAt` to `at` when that is later than the one
   * it holds. A missing or revoked token is left as it is (false); a concurrent change wins over it.
   */
  touchScimToken(orgId: string, id: string, at: string): Promise<boolean>;

  createAdminKey(key: AdminKey, audit: AuditDraft): Promise<AdminKey>;
  findAdminKeyByHash(hash: string): Promise<AdminKey | undefined>;
  /** Without orgId: every key. */
  listAdminKeys(orgId?: string): Promise<AdminKey[]>;
  revokeAdminKey(id: string, at: string, audit: AuditDraft): Promise<AdminKey>;

  /** Client ids are chosen by the caller and unique across orgs. */
  createScimClient(client: ScimClient, audit: AuditDraft): Promise<ScimClient>;
  /** By client id, in any org. */
  getScimClient(id: string): Promise<ScimClient | undefined>;
  /** In creation order. */
  listScimClients(orgId: string): Promise<ScimClient[]>;
  /** Rotation, secret and client revocation, expiry warnings; `token.not_found` for an unknown id. */
  updateScimClient(id: string, updater: Updater<ScimClient>, opts?: UpdateOptions): Promise<UpdateResult<ScimClient>>;
}
