/**
 * Okta Universal Logout (draft-parecki-oauth-global-token-revocation) as an org's setting: whose
 * signed requests the org's revocation endpoint accepts. Plain data.
 */
export interface UniversalLogoutSettings {
  /** The `iss` every request's bearer JWT must carry (the Okta org URL, e.g. https://acme.okta.com). */
  issuer: string;
  /** Where the issuer's signing keys are published (Okta: ISSUER/oauth2/v1/keys). */
  jwksUri: string;
  /** The `aud` every request's JWT must carry (default: the org's revocation endpoint URL). */
  audience: string;
  updatedAt: string;
}

/** The subject identifier formats (RFC 9493) a revocation request may name the person by. */
export type LogoutSubject = { format: 'email'; email: string } | { format: 'iss_sub'; iss: string; sub: string } | { format: 'opaque'; id: string };
