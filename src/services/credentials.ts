import { deletingError } from './org-deletion/service.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { IdsyncError } from '../domain/errors.js';
import type { Actor, AdminKey, ScimToken } from '../domain/model.js';
import { PROVIDER_SCOPE } from '../ports/store.js';
import type { ServiceDeps } from './deps.js';
import { hashSecret } from './secret-hash.js';
import { OAuthTokenService, type ScimClientPrincipal } from './scim-clients/oauth.js';

/** Two live SCIM tokens per org: enough to rotate without downtime. */
export const MAX_LIVE_SCIM_TOKENS = 2;

/** A token's `lastUsedAt` is written at most this often. */
export const LAST_USED_PRECISION_MS = 60_000;

const SCIM_PREFIX = 'idsync_scim_';
const ADMIN_PREFIX = 'idsync_ak_';

/** 256 bits of randomness; only the SHA-256 is stored. */
function mintSecret(prefix: string): { secret: string; hash: string; display: string } {
  const secret = `${prefix}${randomBytes(32).toString('base64url')}`;
  return { secret, hash: hashSecret(secret), display: secret.slice(0, prefix.length + 4) };
}

export { hashSecret };

export type PublicScimToken = Omit<ScimToken, 'hash'>;
export type PublicAdminKey = Omit<AdminKey, 'hash'>;

const publicToken = ({ hash: _h, ...rest }: ScimToken): PublicScimToken => rest;
const publicKey = ({ hash: _h, ...rest }: AdminKey): PublicAdminKey => rest;

/** SCIM bearer tokens (they select the org) and admin keys (provider-wide or one org). */
export class CredentialService {
  constructor(
    private readonly deps: ServiceDeps,
    /** When set, OAuth access tokens of SCIM clients are accepted beside static tokens. */
    private readonly accessTokens?: Pick<OAuthTokenService, 'authenticateAccessToken'>,
  ) {}

  /** The secret is returned here once and never again. */
  async createScimToken(orgId: string, actor: Actor, label?: string): Promise<{ token: string; record: PublicScimToken }> {
    const { secret, hash, display } = mintSecret(SCIM_PREFIX);
    const record: ScimToken = { id: randomUUID(), orgId, prefix: display, hash, createdAt: this.deps.clock.now().toISOString(), ...(label ? { label } : {}) };
    await this.deps.store.createScimToken(
      record,
      { orgId, actor, action: 'scim_token.created', target: { type: 'scim_token', id: record.id }, after: { prefix: display, label } },
      MAX_LIVE_SCIM_TOKENS,
    );
    return { token: secret, record: publicToken(record) };
  }

  async listScimTokens(orgId: string): Promise<PublicScimToken[]> {
    return (await this.deps.store.listScimTokens(orgId)).map(publicToken);
  }

  async revokeScimToken(orgId: string, id: string, actor: Actor): Promise<PublicScimToken> {
    const at = this.deps.clock.now().toISOString();
    return publicToken(await this.deps.store.revokeScimToken(orgId, id, at, { orgId, actor, action: 'scim_token.revoked', target: { type: 'scim_token', id } }));
  }

  /**
   * The live static token, or the live OAuth client of an access token, for a presented bearer value;
   * or `auth.unauthorized`. Either selects the org the same way.
   */
  async authenticateScim(secret: string): Promise<ScimClientPrincipal> {
    if (this.accessTokens && !secret.startsWith(SCIM_PREFIX) && OAuthTokenService.looksLikeAccessToken(secret)) {
      const client = await this.accessTokens.authenticateAccessToken(secret);
      await this.assertOrgTakesScim(client.orgId);
      return client;
    }
    // One read for the token and its org's state (every SCIM request makes it).
    const found = secret.startsWith(SCIM_PREFIX) ? await this.deps.store.findScimTokenWithOrg(hashSecret(secret)) : undefined;
    const t = found?.token;
    if (!t || t.revokedAt) throw new IdsyncError('auth.unauthorized', 'invalid or revoked SCIM token');
    if (found.org?.state === 'deleting') throw deletingError(found.org);
    return publicToken(await this.noteUse(t));
  }

  /**
   * Keeps `lastUsedAt` (shown in the console) to within a minute: at most one store write per token
   * a minute, whatever the request rate. A failed write never fails the request it was noted for.
   */
  private async noteUse(t: ScimToken): Promise<ScimToken> {
    const now = this.deps.clock.now();
    if (t.lastUsedAt && now.getTime() - Date.parse(t.lastUsedAt) < LAST_USED_PRECISION_MS) return t;
    const at = now.toISOString();
    try {
      await this.deps.store.touchScimToken(t.orgId, t.id, at);
    } catch (err) {
      this.deps.logger.warn('could not record the SCIM token use', { orgId: t.orgId, tokenId: t.id, error: err instanceof Error ? err.message : String(err) });
      return t;
    }
    return { ...t, lastUsedAt: at };
  }

  /** An org scheduled for deletion takes no provisioning: its valid tokens get `org.deleting` (not a 401, which would read as a bad token). */
  private async assertOrgTakesScim(orgId: string): Promise<void> {
    const org = await this.deps.store.getOrg(orgId);
    if (org?.state === 'deleting') throw deletingError(org);
  }

  async createAdminKey(actor: Actor, opts: { orgId?: string; label?: string; serviceAccountId?: string } = {}): Promise<{ key: string; record: PublicAdminKey }> {
    const { secret, hash, display } = mintSecret(ADMIN_PREFIX);
    const record: AdminKey = {
      id: randomUUID(),
      ...(opts.orgId ? { orgId: opts.orgId } : {}),
      ...(opts.orgId && opts.serviceAccountId ? { serviceAccountId: opts.serviceAccountId } : {}),
      prefix: display,
      hash,
      createdAt: this.deps.clock.now().toISOString(),
      ...(opts.label ? { label: opts.label } : {}),
    };
    const scope = opts.orgId ?? PROVIDER_SCOPE;
    await this.deps.store.createAdminKey(record, {
      orgId: scope,
      actor,
      action: 'admin_key.created',
      target: { type: 'admin_key', id: record.id },
      after: { prefix: display, orgId: opts.orgId, label: opts.label },
    });
    return { key: secret, record: publicKey(record) };
  }

  async listAdminKeys(orgId?: string): Promise<PublicAdminKey[]> {
    return (await this.deps.store.listAdminKeys(orgId)).map(publicKey);
  }

  async revokeAdminKey(id: string, actor: Actor): Promise<PublicAdminKey> {
    const existing = (await this.deps.store.listAdminKeys()).find((k) => k.id === id);
    if (!existing) throw new IdsyncError('token.not_found', `admin key ${id} not found`, { keyId: id });
    const at = this.deps.clock.now().toISOString();
    return publicKey(
      await this.deps.store.revokeAdminKey(id, at, { orgId: existing.orgId ?? PROVIDER_SCOPE, actor, action: 'admin_key.revoked', target: { type: 'admin_key', id } }),
    );
  }

  /** The live key for a presented secret, or `auth.unauthorized`. */
  async authenticateAdmin(secret: string): Promise<PublicAdminKey> {
    const k = secret.startsWith(ADMIN_PREFIX) ? await this.deps.store.findAdminKeyByHash(hashSecret(secret)) : undefined;
    if (!k || k.revokedAt) throw new IdsyncError('auth.unauthorized', 'invalid or revoked admin key');
    return publicKey(k);
  }
}
