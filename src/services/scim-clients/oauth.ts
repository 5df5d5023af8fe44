import { createPublicKey, hkdfSync, randomUUID, timingSafeEqual, webcrypto, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, customFetch, decodeJwt, jwtVerify, SignJWT, type CryptoKey, type JWTVerifyGetKey } from 'jose';
import { systemLookup, vetDestination } from '../webhooks/destination.js';
import { pinnedFetch } from '../webhooks/pinned-fetch.js';
import { IdsyncError } from '../../domain/errors.js';
import type { ScimClient } from '../../domain/model.js';
import { hashSecret } from '../secret-hash.js';
import type { ServiceDeps } from '../deps.js';
import { assertJwksUrl, isLiveSecret } from './service.js';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion. */
export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A token request as the HTTP layer read it (RFC 6749 §4.4.2), before any check. */
export interface TokenRequest {
  grantType?: string;
  /** From `Authorization: Basic` (client_secret_basic, RFC 6749 §2.3.1). */
  basic?: { clientId: string; clientSecret: string };
  /** From the form body (client_secret_post, or the optional client_id beside an assertion). */
  clientId?: string;
  clientSecret?: string;
  clientAssertionType?: string;
  clientAssertion?: string;
}

/** RFC 6749 §5.1. */
export interface AccessTokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** Who an access token speaks for on /scim/v2: the same fields a static SCIM token gives. */
export interface ScimClientPrincipal {
  id: string;
  orgId: string;
  label?: string;
}

export interface OAuthOptions {
  secretKey: Buffer;
  publicUrl: string;
  tokenTtlSeconds: number;
  /** webhooks.allowPrivateNetworks: off (the default), a JWKS URL may not lead to an internal address either. */
  allowPrivateNetworks?: boolean;
}

const ACCESS_TOKEN_TYP = 'at+jwt';
/** Verified access tokens remembered (oldest dropped first): far more than the IdPs one replica serves. */
const VERIFIED_CACHE_SIZE = 10_000;

interface VerifiedClaims {
  sub: string;
  org: string;
  exp: number;
  sid?: string;
}
/** Asymmetric algorithms only: the client's key is public, so an HMAC "signature" with it proves nothing. */
const ASSERTION_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** An assertion valid for longer than this is refused: its jti would have to be remembered as long. */
const MAX_ASSERTION_LIFETIME_S = 86_400;
const CLOCK_TOLERANCE_S = 60;
/** Access tokens per client: a burst, then one per refill interval (per replica). */
const ISSUE_BURST = 20;
const ISSUE_REFILL_MS = 6_000;

const invalidClient = (why: string) => new IdsyncError('oauth.invalid_client', why);

/**
 * The client credentials grant (RFC 6749 §4.4) for SCIM, and the access tokens it issues.
 *
 * Access tokens are JWTs (RFC 9068 `at+jwt`) signed with HS256 under a key derived from the
 * deployment's secret key: nothing is written per token, any replica verifies them, and they expire
 * by themselves. A signature alone could not be revoked, so every SCIM request also reads the
 * client record (one point read, the same cost as a static token's hash lookup) and refuses the
 * token when the client is revoked, belongs to another org, or the secret it was issued against was
 * revoked: revocation takes effect on the next request, as it does for static tokens.
 */
export class OAuthTokenService {
  /**
   * Imported into WebCrypto once: given raw bytes or a KeyObject, jose imports the key again on every
   * verify, which made an access token cost 130 to 200 µs per SCIM request instead of a few.
   */
  private readonly signingKey: Promise<CryptoKey>;
  private readonly jwks = new Map<string, JWTVerifyGetKey>();
  private readonly issued = new Map<string, { tokens: number; at: number }>();
  private readonly verified = new Map<string, VerifiedClaims>();
  readonly tokenUrl: string;
  private readonly audience: string;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly opts: OAuthOptions,
  ) {
    const raw = new Uint8Array(hkdfSync('sha256', opts.secretKey, Buffer.alloc(0), 'idsync scim oauth access tokens', 32));
    this.signingKey = webcrypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']) as Promise<CryptoKey>;
    this.tokenUrl = `${opts.publicUrl}/oauth/token`;
    this.audience = `${opts.publicUrl}/scim/v2`;
  }

  async issue(req: TokenRequest): Promise<AccessTokenResponse> {
    if (req.grantType === undefined) throw new IdsyncError('oauth.invalid_request', 'grant_type is required');
    if (req.grantType !== 'client_credentials') throw new IdsyncError('oauth.unsupported_grant_type', `grant_type ${req.grantType} is not supported; use client_credentials`);
    const { client, secretId } = await this.#authenticate(req);
    // Counted after authentication, so nobody can use up a client's tokens by guessing at its secret.
    this.#takeIssue(client.id);
    const now = Math.floor(this.deps.clock.now().getTime() / 1000);
    const token = await new SignJWT({ org: client.orgId, ...(secretId ? { sid: secretId } : {}) })
      .setProtectedHeader({ alg: 'HS256', typ: ACCESS_TOKEN_TYP })
      .setIssuer(this.opts.publicUrl)
      .setAudience(this.audience)
      .setSubject(client.id)
      .setJti(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + this.opts.tokenTtlSeconds)
      .sign(await this.signingKey);
    return { access_token: token, token_type: 'Bearer', expires_in: this.opts.tokenTtlSeconds };
  }

  /** Whether a bearer value is shaped like one of our access tokens (a compact JWS). */
  static looksLikeAccessToken(bearer: string): boolean {
    return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(bearer);
  }

  /** The client an access token speaks for, or `auth.unauthorized`. */
  async authenticateAccessToken(token: string): Promise<ScimClientPrincipal> {
    const refused = () => new IdsyncError('auth.unauthorized', 'invalid, expired or revoked access token');
    const claims = await this.#verifiedClaims(token);
    if (!claims) throw refused();
    const client = await this.deps.store.getScimClient(claims.sub);
    if (!client || client.revokedAt || client.orgId !== claims.org) throw refused();
    if (claims.sid !== undefined && client.secrets.find((s) => s.id === claims.sid)?.revokedAt !== undefined) throw refused();
    return { id: client.id, orgId: client.orgId, ...(client.label ? { label: client.label } : {}) };
  }

  /**
   * The claims of a token whose signature, issuer, audience and type checked out, or undefined. An
   * IdP sends one token for its whole lifetime, so the verified claims are remembered by token
   * (bounded); only the expiry is checked again. Revocation never depends on this: the caller reads
   * the client on every request.
   */
  async #verifiedClaims(token: string): Promise<VerifiedClaims | undefined> {
    const nowS = this.deps.clock.now().getTime() / 1000;
    const known = this.verified.get(token);
    if (known) return known.exp > nowS ? known : undefined;
    let payload;
    try {
      ({ payload } = await jwtVerify(token, await this.signingKey, {
        algorithms: ['HS256'],
        typ: ACCESS_TOKEN_TYP,
        issuer: this.opts.publicUrl,
        audience: this.audience,
        requiredClaims: ['exp', 'sub'],
        currentDate: this.deps.clock.now(),
      }));
    } catch {
      return undefined;
    }
    if (typeof payload.sub !== 'string' || typeof payload.org !== 'string' || payload.exp === undefined) return undefined;
    const claims: VerifiedClaims = { sub: payload.sub, org: payload.org, exp: payload.exp, ...(typeof payload.sid === 'string' ? { sid: payload.sid } : {}) };
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, claims);
    return claims;
  }

  #takeIssue(clientId: string): void {
    const t = this.deps.clock.now().getTime();
    const b = this.issued.get(clientId) ?? { tokens: ISSUE_BURST, at: t };
    b.tokens = Math.min(ISSUE_BURST, b.tokens + (t - b.at) / ISSUE_REFILL_MS);
    b.at = t;
    this.issued.set(clientId, b);
    if (b.tokens < 1) {
      const wait = Math.max(1, Math.ceil(((1 - b.tokens) * ISSUE_REFILL_MS) / 1000));
      throw new IdsyncError('oauth.rate_limited', `too many access tokens requested for this client; retry after ${wait} seconds`, { retryAfter: wait });
    }
    b.tokens -= 1;
  }

  async #authenticate(req: TokenRequest): Promise<{ client: ScimClient; secretId?: string }> {
    const post = req.clientSecret !== undefined;
    const assertion = req.clientAssertion !== undefined || req.clientAssertionType !== undefined;
    // RFC 6749 §2.3: a client MUST NOT use more than one authentication method in a request.
    if ([req.basic !== undefined, post, assertion].filter(Boolean).length > 1) {
      throw new IdsyncError('oauth.invalid_request', 'use exactly one client authentication method');
    }
    if (req.basic) return this.#bySecret(req.basic.clientId, req.basic.clientSecret);
    if (post) {
      if (req.clientId === undefined) throw new IdsyncError('oauth.invalid_request', 'client_id is required with client_secret');
      return this.#bySecret(req.clientId, req.clientSecret!);
    }
    if (assertion) return { client: await this.#byAssertion(req) };
    throw invalidClient('client authentication is required (client_secret_basic, client_secret_post or private_key_jwt)');
  }

  async #bySecret(clientId: string, secret: string): Promise<{ client: ScimClient; secretId: string }> {
    const client = await this.#liveClient(clientId);
    const presented = Buffer.from(hashSecret(secret), 'hex');
    const now = this.deps.clock.now();
    const match = client.secrets.find((s) => isLiveSecret(s, now) && timingSafeEqual(Buffer.from(s.hash, 'hex'), presented));
    if (!match) throw invalidClient('wrong, revoked or expired client secret');
    return { client, secretId: match.id };
  }

  /** RFC 7523 §3: iss and sub are the client id, aud is the token URL, exp is required, a jti is used once. */
  async #byAssertion(req: TokenRequest): Promise<ScimClient> {
    if (req.clientAssertionType !== JWT_BEARER_ASSERTION) {
      throw new IdsyncError('oauth.invalid_request', `client_assertion_type must be ${JWT_BEARER_ASSERTION}`);
    }
    if (!req.clientAssertion) throw new IdsyncError('oauth.invalid_request', 'client_assertion is required');
    let claimed: string | undefined;
    try {
      const unverified = decodeJwt(req.clientAssertion);
      claimed = typeof unverified.iss === 'string' ? unverified.iss : undefined;
    } catch {
      throw invalidClient('client_assertion is not a JWT');
    }
    if (!claimed || (req.clientId !== undefined && req.clientId !== claimed)) throw invalidClient('client_assertion issuer does not name the client');
    const client = await this.#liveClient(claimed);
    const key = this.#verificationKey(client);
    const now = this.deps.clock.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(req.clientAssertion, key as Parameters<typeof jwtVerify>[1], {
        algorithms: ASSERTION_ALGS,
        issuer: client.id,
        subject: client.id,
        audience: this.tokenUrl,
        requiredClaims: ['exp', 'jti'],
        clockTolerance: CLOCK_TOLERANCE_S,
        currentDate: now,
      }));
    } catch (err) {
      throw invalidClient(`client_assertion refused: ${(err as Error).message}`);
    }
    const remaining = payload.exp! - Math.floor(now.getTime() / 1000);
    if (remaining > MAX_ASSERTION_LIFETIME_S) throw invalidClient('client_assertion expires too far in the future');
    // RFC 7523 §3 (jti) lets the server refuse replays, and OpenID Connect Core §9 (private_key_jwt)
    // says an assertion MUST be used only once: a jti seen before is a replay. The lease lasts until the assertion expires
    // (plus the tolerance), after which the assertion is refused by its exp anyway.
    const fresh = await this.deps.store.tryAcquireLease(`oauth-assertion:${client.id}:${payload.jti}`, randomUUID(), (Math.max(remaining, 0) + CLOCK_TOLERANCE_S) * 1000);
    if (!fresh) throw invalidClient('client_assertion was already used (jti replayed)');
    return client;
  }

  #verificationKey(client: ScimClient): KeyObject | JWTVerifyGetKey {
    if (client.publicKeyPem) return createPublicKey(client.publicKeyPem);
    if (client.jwksUrl) {
      let set = this.jwks.get(client.jwksUrl);
      if (!set) {
        set = createRemoteJWKSet(assertJwksUrl(client.jwksUrl), { [customFetch]: (url: string, init: RequestInit) => this.#fetchJwks(url, init) });
        this.jwks.set(client.jwksUrl, set);
      }
      return set;
    }
    throw invalidClient('this client has no public key or JWKS URL for private_key_jwt');
  }

  /**
   * A tenant names the JWKS URL, so its fetch is held to the webhooks' destination rules: unless
   * private networks are allowed, a host resolving to a loopback, private, link-local or reserved
   * address is refused before anything is sent, and the request connects to the address that was
   * checked (no DNS rebinding inward). A refusal fails the assertion (invalid_client).
   */
  async #fetchJwks(url: string, init: RequestInit): Promise<Response> {
    if (this.opts.allowPrivateNetworks) return fetch(url, init);
    const vetted = await vetDestination(url, systemLookup);
    if (vetted.refused !== undefined) throw invalidClient(`the JWKS URL cannot be fetched: ${vetted.refused}`);
    return vetted.pinned ? pinnedFetch(vetted.pinned.address, vetted.pinned.family)(url, init) : fetch(url, init);
  }

  async #liveClient(clientId: string): Promise<ScimClient> {
    const client = await this.deps.store.getScimClient(clientId);
    if (!client || client.revokedAt) throw invalidClient('unknown or revoked client');
    return client;
  }
}
