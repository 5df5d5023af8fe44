import { grantState } from '../../domain/support.js';
import type { SupportAccessService } from '../support/service.js';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CONSOLE_INTENTS, NO_ORG, type ConsoleIntent, type ConsoleOperator, type ConsolePerson, type ConsoleSession, type PortalLink } from '../../domain/console.js';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor } from '../../domain/model.js';
import { assertCanAdminister, type Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import { hashSecret } from '../secret-hash.js';
import { parseInput } from '../validate.js';

export const PORTAL_TOKEN_PREFIX = 'idsync_portal_';
export const SESSION_TOKEN_PREFIX = 'idsync_cs_';
/** A portal link is valid this long, and opens once. */
export const PORTAL_LINK_TTL_MS = 5 * 60_000;
const MIN_MS = 60_000;

export interface ConsoleSessionOptions {
  /** Base of the links (config server.publicUrl). */
  publicUrl: string;
  /** config console.sessionIdleMinutes */
  idleMinutes: number;
  /** config console.sessionMaxHours */
  maxHours: number;
}

export interface PortalLinkResult {
  url: string;
  expiresAt: string;
  intent: ConsoleIntent;
}

/** A session as the console uses it: the record and the principal its requests act as. */
export interface ConsoleSignIn {
  session: ConsoleSession;
  principal: Principal;
}

const intentSchema = z.enum(CONSOLE_INTENTS as [ConsoleIntent, ...ConsoleIntent[]]);
const tokenShape = (prefix: string) => new RegExp(`^${prefix}[A-Za-z0-9_-]{40,60}$`);

/** Whether a string has the shape of a portal link token (says nothing of whether idsync issued it). */
export const isPortalLinkToken = (token: string): boolean => tokenShape(PORTAL_TOKEN_PREFIX).test(token);

/**
 * One-time portal links and the console sessions they start. Only hashes of the link token and of
 * the session token are stored; the browser holds the session token in an httpOnly cookie. A
 * session acts as its org's owner (whoever asked for the link had at least that standing: an
 * owner-level admin key or the operator's CLI), limited to the org and the link's intent, and every
 * change made in it is audited with the session as actor and source `console`.
 */
export class ConsoleSessionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly opts: ConsoleSessionOptions,
    private readonly support?: SupportAccessService,
  ) {}

  /** The deployment's clock (pages show time left by it). */
  now(): Date {
    return this.deps.clock.now();
  }

  get idleMs(): number {
    return this.opts.idleMinutes * MIN_MS;
  }

  /** A one-time link to the org's console, valid five minutes; asking for it needs owner standing (or the CLI). */
  async createPortalLink(asked: Principal, orgId: string, intent: ConsoleIntent = 'all'): Promise<PortalLinkResult> {
    assertCanAdminister(asked, orgId);
    // The operator's console view of an org under consent needs a live grant, and its session ends with it.
    const p = this.support ? await this.support.admit(asked, orgId, { method: 'POST', path: `console portal link for ${orgId}` }) : asked;
    const i = parseInput(intentSchema, intent);
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    const now = this.deps.clock.now();
    const token = `${PORTAL_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const link: PortalLink = {
      tokenHash: hashSecret(token),
      orgId,
      intent: i,
      createdBy: p.actor,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + PORTAL_LINK_TTL_MS).toISOString(),
    };
    await this.deps.store.createPortalLink(link);
    this.deps.logger.info('portal link issued', { orgId, intent: i, by: p.actor.kind, ...(p.actor.id ? { byId: p.actor.id } : {}) });
    return { url: `${this.opts.publicUrl.replace(/\/+$/, '')}/console/start?token=${token}`, expiresAt: link.expiresAt, intent: i };
  }

  /** Opens a portal link: consumes it (once) and starts a session. Returns the session token for the cookie. */
  async start(token: string): Promise<{ token: string; signIn: ConsoleSignIn }> {
    if (!isPortalLinkToken(token)) throw new IdsyncError('console.link_invalid', 'this is not a console link');
    const now = this.deps.clock.now();
    const found = await this.deps.store.consumePortalLink(hashSecret(token), now);
    if (found.outcome === 'not_found') throw new IdsyncError('console.link_invalid', 'no such console link');
    if (found.outcome === 'used') throw new IdsyncError('console.link_used', 'this console link was already opened', { orgId: found.link.orgId });
    if (found.outcome === 'expired') throw new IdsyncError('console.link_expired', 'this console link has expired', { orgId: found.link.orgId });
    const { link } = found;
    if (link.operator) {
      const opened = await this.open(NO_ORG, 'all', (publicId) => ({ ...link.createdBy, label: `operator console session ${publicId} (link from ${describe(link.createdBy)})` }), { kind: 'operator' });
      this.deps.logger.info('operator console session started', { session: opened.signIn.session.publicId, by: link.createdBy.kind, ...(link.createdBy.id ? { byId: link.createdBy.id } : {}) });
      return opened;
    }
    if (!(await this.deps.store.getOrg(link.orgId))) throw new IdsyncError('org.not_found', `organization ${link.orgId} not found`, { orgId: link.orgId });
    // A link asked for on behalf of a member (X-Idsync-Acting-Member): Universal Logout of that member ends the session.
    const opened = await this.open(link.orgId, link.intent, (publicId) => ({ kind: 'portal', id: publicId, label: `console session (portal link from ${describe(link.createdBy)})`, ...(link.createdBy.supportGrantId ? { supportGrantId: link.createdBy.supportGrantId } : {}) }), undefined, link.createdBy.onBehalfOf);
    this.deps.logger.info('console session started', { orgId: link.orgId, session: opened.signIn.session.publicId, intent: link.intent });
    return opened;
  }

  /** A one-time link to the operator's console (every organization), valid five minutes; provider-wide standing only. */
  async createOperatorLink(p: Principal): Promise<PortalLinkResult> {
    if (p.kind !== 'provider') throw new IdsyncError('auth.forbidden', 'an operator console link needs a provider-wide admin key');
    const now = this.deps.clock.now();
    const token = `${PORTAL_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const link: PortalLink = {
      tokenHash: hashSecret(token),
      orgId: NO_ORG,
      operator: true,
      intent: 'all',
      createdBy: p.actor,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + PORTAL_LINK_TTL_MS).toISOString(),
    };
    await this.deps.store.createPortalLink(link);
    this.deps.logger.info('operator console link issued', { by: p.actor.kind, ...(p.actor.id ? { byId: p.actor.id } : {}) });
    return { url: `${this.opts.publicUrl.replace(/\/+$/, '')}/console/start?token=${token}`, expiresAt: link.expiresAt, intent: 'all' };
  }

  /**
   * Starts a session (a new token, a new CSRF secret) for `orgId` (NO_ORG: none opened yet) acting
   * as `actor`. Signing in is the only way to a session, so the token is always fresh (rotation at sign-in).
   */
  async open(orgId: string, intent: ConsoleIntent, actor: (publicId: string) => Actor, who?: ConsolePerson | ConsoleOperator, memberId?: string): Promise<{ token: string; signIn: ConsoleSignIn }> {
    const now = this.deps.clock.now();
    const sessionToken = `${SESSION_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const publicId = randomBytes(6).toString('hex');
    const at = now.toISOString();
    const session: ConsoleSession = {
      idHash: hashSecret(sessionToken),
      publicId,
      orgId,
      intent,
      actor: actor(publicId),
      ...(who ? { who } : {}),
      ...(memberId ? { memberId } : {}),
      csrfSecret: randomBytes(32).toString('base64url'),
      createdAt: at,
      lastSeenAt: at,
      idleExpiresAt: new Date(Math.min(now.getTime() + this.idleMs, now.getTime() + this.opts.maxHours * 60 * MIN_MS)).toISOString(),
      expiresAt: new Date(now.getTime() + this.opts.maxHours * 60 * MIN_MS).toISOString(),
    };
    await this.deps.store.createConsoleSession(session);
    return { token: sessionToken, signIn: { session, principal: principalOf(session) } };
  }

  /** The live session of a cookie's token (its idle expiry moved), or undefined: missing, expired, revoked or not ours. */
  async authenticate(token: string | undefined): Promise<ConsoleSignIn | undefined> {
    if (!token || !tokenShape(SESSION_TOKEN_PREFIX).test(token)) return undefined;
    const session = await this.deps.store.touchConsoleSession(hashSecret(token), this.deps.clock.now(), this.idleMs);
    if (session && !(await this.#grantStillLive(session))) return undefined;
    return session ? { session, principal: principalOf(session) } : undefined;
  }

  /** A session opened under a support grant lasts no longer than the grant (expired or revoked: signed out). */
  async #grantStillLive(session: ConsoleSession): Promise<boolean> {
    const grantId = session.actor.supportGrantId;
    if (!grantId) return true;
    const grant = await this.deps.store.getSupportGrant(session.orgId, grantId);
    return grant !== undefined && grantState(grant, this.deps.clock.now()) === 'active';
  }

  async signOut(token: string | undefined): Promise<boolean> {
    if (!token || !tokenShape(SESSION_TOKEN_PREFIX).test(token)) return false;
    return this.deps.store.revokeConsoleSession(hashSecret(token), this.deps.clock.now());
  }

  /** Housekeeping: forgets ended sessions and old links (a daemon job, one replica per tick). */
  async sweep(): Promise<number> {
    return this.deps.store.sweepConsoleSessions(this.deps.clock.now());
  }
}

/**
 * The principal a session's record alone grants. The operator is a provider admin; a signed-in
 * person gets the least standing here (member of the session's first org): their role is read for
 * each org they open (ConsoleSignInService.forOrg), never kept in the session.
 */
function principalOf(s: ConsoleSession): Principal {
  if (s.who?.kind === 'operator') return { kind: 'provider', actor: s.actor, source: 'console' };
  if (s.who?.kind === 'person') return { kind: 'org', orgId: s.orgId, role: 'member', actor: s.actor, source: 'console' };
  return { kind: 'org', orgId: s.orgId, role: 'owner', actor: s.actor, source: 'console' };
}

function describe(a: Actor): string {
  if (a.kind === 'cli') return 'the idsync CLI';
  if (a.kind === 'admin') return `admin key ${a.id ?? ''}${a.onBehalfOf ? ` on behalf of member ${a.onBehalfOf}` : ''}`.trim();
  return `${a.kind}${a.id ? ` ${a.id}` : ''}`;
}
