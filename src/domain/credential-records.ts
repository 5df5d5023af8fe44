/** Credential records of the domain (SCIM tokens, SCIM OAuth clients, admin keys). Plain data, no imports; model.ts re-exports them. */

export interface ScimToken {
  id: string;
  orgId: string;
  label?: string;
  /** First characters of the secret, for recognising it in lists. */
  prefix: string;
  hash: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

/** One secret of a SCIM OAuth client; stored by SHA-256 only, like SCIM tokens. */
export interface ScimClientSecret {
  id: string;
  /** First characters of the secret, for recognising it in lists. */
  prefix: string;
  hash: string;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  /** Day (YYYY-MM-DD) of the last expiry warning, so the periodic job warns once a day. */
  expiryWarnedOn?: string;
}

/**
 * An OAuth 2.0 client of an org (client credentials grant, RFC 6749 §4.4): its access tokens select
 * the org on /scim/v2 as a SCIM token does. It authenticates with a secret (two may be live, for
 * rotation) or with a JWT assertion (RFC 7523) verified against `publicKeyPem` or `jwksUrl`.
 */
export interface ScimClient {
  /** The OAuth `client_id`. */
  id: string;
  orgId: string;
  label?: string;
  secrets: ScimClientSecret[];
  publicKeyPem?: string;
  jwksUrl?: string;
  createdAt: string;
  revokedAt?: string;
  version: number;
}

export interface AdminKey {
  id: string;
  /** Undefined for a provider-wide key. */
  orgId?: string;
  /** Set on the credential of a service account: the key acts as that member (its role, actor kind `service`). */
  serviceAccountId?: string;
  label?: string;
  prefix: string;
  hash: string;
  createdAt: string;
  revokedAt?: string;
}
