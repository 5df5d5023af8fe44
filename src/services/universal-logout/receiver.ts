import { randomUUID } from 'node:crypto';
import { createRemoteJWKSet, customFetch, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor, Member } from '../../domain/model.js';
import type { LogoutSubject, UniversalLogoutSettings } from '../../domain/universal-logout.js';
import type { ServiceDeps } from '../deps.js';
import type { InvitationService } from '../invitations/service.js';
import { systemLookup, vetDestination } from '../webhooks/destination.js';
import { pinnedFetch } from '../webhooks/pinned-fetch.js';
import { parseLogoutSubject } from './subject.js';

/** Asymmetric algorithms only: the issuer's keys are public, so an HMAC "signature" with one proves nothing. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
/** Leeway on exp, iat and nbf for clocks that disagree a little. */
export const LEEWAY_S = 60;
/** A token older than this (by iat), or valid for longer, is refused: its jti would have to be remembered as long. */
const MAX_AGE_S = 3_600;
/** The issuer's JWKS: kept this long, refetched at once on an unknown kid (at most once a second), and a fetch gives up after this. */
const JWKS_CACHE_MS = 10 * 60_000;
const JWKS_COOLDOWN_MS = 1_000;
const JWKS_TIMEOUT_MS = 5_000;

export interface LogoutOutcome {
  /** The members whose sessions ended (none when only invitations matched). */
  memberIds: string[];
  sessionsRevoked: number;
  invitationsWithdrawn: string[];
}

const refused = (why: string) => new IdsyncError('universal_logout.token_invalid', why);

/**
 * The receiving end of Okta Universal Logout (draft-parecki-oauth-global-token-revocation): a POST
 * naming one person of an org, authenticated by a JWT the org's configured issuer signed. On success
 * the person's console sessions end, their pending invitations are withdrawn, and one audit event
 * `member.sessions_revoked` (source `universal_logout`) goes to the outbox per member, which the
 * webhooks deliver and the Shared Signals streams turn into CAEP session-revoked.
 */
export class UniversalLogoutReceiver {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly invitations: Pick<InvitationService, 'withdrawForEmail'>,
    private readonly opts: { publicUrl: string; allowPrivateNetworks: boolean },
  ) {}

  async revoke(orgId: string, bearer: string | undefined, body: () => unknown): Promise<LogoutOutcome> {
    const org = await this.deps.store.getOrg(orgId);
    // Nobody can authenticate to an org that does not exist, is merged away or has no settings: 401 alike, never telling which.
    const settings = org && org.state !== 'merged' ? org.universalLogout : undefined;
    if (!bearer) throw refused('a bearer JWT is required');
    if (!settings) throw refused('Universal Logout is not set up for this organization');
    const claims = await this.verify(bearer, settings);
    const subject = parseLogoutSubject(body());
    await this.useOnce(orgId, claims);
    const actor: Actor = { kind: 'system', id: 'universal-logout', label: `Universal Logout from ${settings.issuer}` };
    const reason = `Universal Logout from ${settings.issuer}`;
    const members = await this.find(orgId, subject, settings);
    if (members.length === 0) {
      // Someone invited but not joined yet: their invitations are what would let them in.
      const withdrawn = subject.format === 'email' ? await this.invitations.withdrawForEmail(orgId, subject.email, reason, actor) : [];
      if (withdrawn.length === 0) throw new IdsyncError('universal_logout.person_not_found', `no member of organization ${orgId} matches the ${subject.format} subject`, { orgId, format: subject.format });
      this.deps.logger.info('universal logout withdrew invitations', { orgId, invitations: withdrawn.length, jti: claims.jti });
      return { memberIds: [], sessionsRevoked: 0, invitationsWithdrawn: withdrawn };
    }
    const out: LogoutOutcome = { memberIds: [], sessionsRevoked: 0, invitationsWithdrawn: [] };
    for (const m of members) {
      const now = this.deps.clock.now();
      const sessions = await this.deps.store.revokeMemberConsoleSessions(orgId, m.id, now);
      const emails = [...new Set(m.emails.map((e) => e.value.toLowerCase()))];
      const withdrawn: string[] = [];
      for (const email of emails) withdrawn.push(...(await this.invitations.withdrawForEmail(orgId, email, reason, actor)));
      await this.deps.store.appendAudit({
        orgId,
        actor,
        action: 'member.sessions_revoked',
        target: { type: 'member', id: m.id },
        source: 'universal_logout',
        reason,
        after: { userName: m.userName, status: m.status, emails, sessionsRevoked: sessions, invitationsWithdrawn: withdrawn },
        evidence: { issuer: settings.issuer, jti: claims.jti, subjectFormat: subject.format },
      });
      out.memberIds.push(m.id);
      out.sessionsRevoked += sessions;
      out.invitationsWithdrawn.push(...withdrawn);
    }
    this.deps.onMemberChanged?.();
    this.deps.logger.info('universal logout', { orgId, members: out.memberIds.length, sessions: out.sessionsRevoked, invitations: out.invitationsWithdrawn.length, jti: claims.jti });
    return out;
  }

  /** Signature against the issuer's JWKS, `iss`, `aud`, `exp` and `iat` (with leeway); `jti` must be present. */
  private async verify(token: string, s: UniversalLogoutSettings): Promise<JWTPayload & { jti: string; exp: number }> {
    const now = this.deps.clock.now();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.keySet(s.jwksUri), {
        algorithms: ALGORITHMS,
        issuer: [s.issuer, `${s.issuer}/`],
        audience: s.audience,
        requiredClaims: ['exp', 'iat', 'jti'],
        maxTokenAge: MAX_AGE_S,
        clockTolerance: LEEWAY_S,
        currentDate: now,
      }));
    } catch (err) {
      throw refused(`the bearer JWT was refused: ${err instanceof IdsyncError ? err.message : describe(err)}`);
    }
    if (typeof payload.jti !== 'string' || payload.jti === '') throw refused('the bearer JWT has no jti');
    if (payload.exp! - now.getTime() / 1000 > MAX_AGE_S) throw refused(`the bearer JWT is valid for more than ${MAX_AGE_S} seconds`);
    return payload as JWTPayload & { jti: string; exp: number };
  }

  /** A jti is accepted once per org and issuer, remembered (in the store, for every replica) until the token has expired. */
  private async useOnce(orgId: string, claims: JWTPayload & { jti: string; exp: number }): Promise<void> {
    const ttlS = Math.max(0, claims.exp - Math.floor(this.deps.clock.now().getTime() / 1000)) + LEEWAY_S;
    const fresh = await this.deps.store.tryAcquireLease(`universal-logout:${orgId}:${claims.iss}:${claims.jti}`, randomUUID(), ttlS * 1000);
    if (!fresh) throw refused('the bearer JWT was already used (jti replayed)');
  }

  /** The org's live people the subject names; removed members and service accounts are never found. */
  private async find(orgId: string, subject: LogoutSubject, s: UniversalLogoutSettings): Promise<Member[]> {
    const live = (m: Member | undefined): m is Member => m !== undefined && m.status !== 'removed' && m.kind !== 'service';
    if (subject.format === 'email') return (await this.deps.store.findMembersByEmail(orgId, subject.email)).filter(live);
    if (subject.format === 'opaque') return [await this.deps.store.getMember(orgId, subject.id)].filter(live);
    const iss = subject.iss.replace(/\/+$/, '');
    // The issuer's own user id is what Okta provisions as externalId; idsync's id is what it got back.
    if (iss === s.issuer) {
      const byExternal = (await this.deps.store.findMembersByExternalId(orgId, subject.sub)).filter(live);
      return byExternal.length > 0 ? byExternal : [await this.deps.store.getMember(orgId, subject.sub)].filter(live);
    }
    if (iss === this.opts.publicUrl.replace(/\/+$/, '')) return [await this.deps.store.getMember(orgId, subject.sub)].filter(live);
    return [];
  }

  private keySet(jwksUri: string): JWTVerifyGetKey {
    let set = this.keySets.get(jwksUri);
    if (!set) {
      set = createRemoteJWKSet(new URL(jwksUri), {
        timeoutDuration: JWKS_TIMEOUT_MS,
        cooldownDuration: JWKS_COOLDOWN_MS,
        cacheMaxAge: JWKS_CACHE_MS,
        [customFetch]: (url: string, init: RequestInit) => this.fetchJwks(url, init),
      });
      this.keySets.set(jwksUri, set);
    }
    return set;
  }

  /** An org admin names the JWKS URI, so its fetch is held to the webhooks' destination rules (no internal addresses, no DNS rebinding). */
  private async fetchJwks(url: string, init: RequestInit): Promise<Response> {
    if (this.opts.allowPrivateNetworks) return fetch(url, init);
    const vetted = await vetDestination(url, systemLookup);
    if (vetted.refused !== undefined) throw refused(`the JWKS URI cannot be fetched: ${vetted.refused}`);
    return vetted.pinned ? pinnedFetch(vetted.pinned.address, vetted.pinned.family)(url, init) : fetch(url, init);
  }
}

function describe(err: unknown): string {
  const e = err as { code?: string; message?: string };
  if (e?.code === 'ERR_JWKS_NO_MATCHING_KEY') return "no key of the issuer's JWKS matches the token's kid (after refetching it)";
  if (e?.code === 'ERR_JWKS_TIMEOUT') return "the issuer's JWKS did not answer in time";
  return e?.message ?? String(err);
}
