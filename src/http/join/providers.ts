import * as oidc from 'openid-client';
import type { OidcConfig } from '../../config/schema.js';
import type { JoinSignIn } from '../../services/join/service.js';

export type JoinProvider = 'google' | 'microsoft' | 'github';
export const JOIN_PROVIDERS: readonly JoinProvider[] = ['google', 'microsoft', 'github'];
export const PROVIDER_LABELS: Record<JoinProvider, string> = { google: 'Google', microsoft: 'Microsoft', github: 'GitHub' };

/** What sign-in proved; `directoryId` is the id a directory lists the person under (Entra: `oid`). */
export type SignedIn = JoinSignIn;

/** Raised for a sign-in that did not complete: the page says "sign-in failed" (never a 500). */
export class SignInError extends Error {
  constructor(
    message: string,
    readonly cancelled = false,
  ) {
    super(message);
  }
}

export interface StartParams {
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const isLoopback = (u: string) => LOOPBACK.has(new URL(u).hostname);

/**
 * The configured sign-in providers. Google and Microsoft are OpenID Connect (openid-client:
 * discovery, authorization code + PKCE (S256), state and nonce, the ID token's signature, issuer,
 * audience, expiry and nonce validated). For Microsoft's multi-tenant issuer openid-client checks
 * `iss` against the `{tenantid}` template filled with the token's `tid`. GitHub is plain OAuth: the
 * user id and the verified primary email come from its REST API.
 */
export class JoinProviders {
  private readonly configs = new Map<'google' | 'microsoft', Promise<oidc.Configuration>>();

  constructor(private readonly cfg: OidcConfig) {}

  enabled(): JoinProvider[] {
    return JOIN_PROVIDERS.filter((p) => this.cfg[p].clientId !== '');
  }

  isEnabled(p: string): p is JoinProvider {
    return (JOIN_PROVIDERS as readonly string[]).includes(p) && this.cfg[p as JoinProvider].clientId !== '';
  }

  /** The provider's authorization URL (only ever built from configured endpoints). */
  async authorizationUrl(p: JoinProvider, s: StartParams): Promise<URL> {
    if (p === 'github') {
      const u = new URL(this.cfg.github.authorizeUrl);
      u.search = new URLSearchParams({
        client_id: this.cfg.github.clientId,
        redirect_uri: s.redirectUri,
        scope: 'read:user user:email',
        state: s.state,
        code_challenge: await oidc.calculatePKCECodeChallenge(s.codeVerifier),
        code_challenge_method: 'S256',
        allow_signup: 'true',
      }).toString();
      return u;
    }
    const config = await this.config(p);
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: s.redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      state: s.state,
      nonce: s.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(s.codeVerifier),
      code_challenge_method: 'S256',
    });
  }

  /** Exchanges the code from the callback URL and returns who signed in. */
  async finish(p: JoinProvider, callbackUrl: URL, s: StartParams): Promise<SignedIn> {
    const err = callbackUrl.searchParams.get('error');
    if (err) throw new SignInError(`the provider answered ${err}`, err === 'access_denied');
    if (p === 'github') return this.finishGithub(callbackUrl, s);
    const config = await this.config(p);
    let tokens;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: s.codeVerifier, expectedState: s.state, expectedNonce: s.nonce, idTokenExpected: true }, { redirect_uri: s.redirectUri });
    } catch (e) {
      throw new SignInError(`the ${p} sign-in could not be completed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new SignInError('the provider returned no ID token');
    const { email, emailVerified } = p === 'microsoft' ? microsoftEmail(claims) : { email: typeof claims.email === 'string' ? claims.email : '', emailVerified: claims.email_verified === true };
    if (!email) throw new SignInError('the provider did not share an email address');
    // Microsoft's stable id is the directory object id (oid, = the Graph id the reconciler sees);
    // `sub` is pairwise per application. Google's `sub` is its Directory user id.
    const subject = p === 'microsoft' && typeof claims.oid === 'string' ? claims.oid : claims.sub;
    return { provider: p, subject, email, emailVerified, directoryId: subject };
  }

  private async finishGithub(callbackUrl: URL, s: StartParams): Promise<SignedIn> {
    const code = callbackUrl.searchParams.get('code');
    if (!code) throw new SignInError('the provider returned no code');
    const gh = this.cfg.github;
    const tokenRes = await safeFetch(gh.tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: gh.clientId, client_secret: gh.clientSecret, code, redirect_uri: s.redirectUri, code_verifier: s.codeVerifier }).toString(),
    });
    const tok = (await tokenRes.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown };
    if (!tokenRes.ok || typeof tok.access_token !== 'string') throw new SignInError(`GitHub refused the code (${typeof tok.error === 'string' ? tok.error : tokenRes.status})`);
    const headers = { accept: 'application/vnd.github+json', authorization: `Bearer ${tok.access_token}`, 'x-github-api-version': '2022-11-28', 'user-agent': 'idsync' };
    const base = gh.apiBaseUrl.replace(/\/+$/, '');
    const userRes = await safeFetch(`${base}/user`, { headers });
    const emailsRes = await safeFetch(`${base}/user/emails`, { headers });
    if (!userRes.ok || !emailsRes.ok) throw new SignInError(`GitHub API answered ${userRes.status}/${emailsRes.status}`);
    const user = (await userRes.json()) as { id?: unknown };
    const emails = (await emailsRes.json()) as Array<{ email?: unknown; primary?: unknown; verified?: unknown }>;
    if (typeof user.id !== 'number' && typeof user.id !== 'string') throw new SignInError('GitHub returned no user id');
    const primary = Array.isArray(emails) ? emails.find((e) => e.primary === true && typeof e.email === 'string') : undefined;
    if (!primary) throw new SignInError('your GitHub account has no primary email address');
    const subject = String(user.id);
    return { provider: 'github', subject, email: String(primary.email), emailVerified: primary.verified === true, directoryId: subject };
  }

  private config(p: 'google' | 'microsoft'): Promise<oidc.Configuration> {
    let c = this.configs.get(p);
    if (!c) {
      const { issuer, clientId, clientSecret } = this.cfg[p];
      c = oidc.discovery(new URL(issuer), clientId, clientSecret, undefined, isLoopback(issuer) ? { execute: [oidc.allowInsecureRequests] } : undefined);
      // A failed discovery is retried on the next sign-in rather than cached.
      c.catch(() => this.configs.delete(p));
      this.configs.set(p, c);
    }
    return c.catch((e: unknown) => {
      throw new SignInError(`the ${p} sign-in service could not be reached: ${e instanceof Error ? e.message : String(e)}`);
    });
  }
}

async function safeFetch(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw new SignInError(`could not reach ${new URL(url).host}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Entra's `email` claim is an editable attribute, not proof of ownership (the "nOAuth" pitfall):
 * it counts as verified only with `xms_edov` (email domain owner verified). Otherwise the UPN in
 * `preferred_username` is used: its domain must be one the tenant verified (or, for personal
 * accounts, an address Microsoft verified).
 */
function microsoftEmail(claims: Record<string, unknown>): { email: string; emailVerified: boolean } {
  if (typeof claims.email === 'string' && claims.xms_edov === true) return { email: claims.email, emailVerified: true };
  const upn = claims.preferred_username;
  if (typeof upn === 'string' && /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(upn)) return { email: upn, emailVerified: true };
  return { email: typeof claims.email === 'string' ? claims.email : '', emailVerified: false };
}
