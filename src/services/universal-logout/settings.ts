import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { UniversalLogoutSettings } from '../../domain/universal-logout.js';
import { assertCanAdminister, type Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import { openOrg } from '../merge/sides.js';
import { parseInput } from '../validate.js';
import { blockedLiteralReason } from '../webhooks/destination.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** https, or http on a loopback host (tests, local development). */
const webUrl = z
  .string()
  .trim()
  .max(2000)
  .refine((u) => URL.canParse(u), 'must be a URL')
  .refine((u) => !URL.canParse(u) || new URL(u).protocol === 'https:' || (new URL(u).protocol === 'http:' && LOOPBACK.has(new URL(u).hostname)), 'must use https (http only on a loopback host)');

const settingsSchema = z
  .object({
    issuer: webUrl.describe('The iss of the requests (the Okta org URL)'),
    jwksUri: webUrl.optional(),
    audience: z.string().trim().min(1).max(2000).optional(),
  })
  .strict();

/** What the settings look like to an admin: the stored ones and the endpoint to give Okta. */
export interface UniversalLogoutView extends UniversalLogoutSettings {
  /** The org's global token revocation endpoint (Okta: "Global token revocation endpoint"). */
  endpoint: string;
}

/** Okta publishes an org authorization server's keys here. */
export const oktaJwksUri = (issuer: string) => `${issuer.replace(/\/+$/, '')}/oauth2/v1/keys`;

/**
 * The per-org Universal Logout settings (owners): issuer, JWKS URI and audience, validated,
 * stored on the org record (so they move, merge and back up with it) and audited
 * (`org.universal_logout_configured`, `org.universal_logout_removed`).
 */
export class UniversalLogoutSettingsService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly opts: { publicUrl: string; allowPrivateNetworks: boolean },
  ) {}

  endpointOf(orgId: string): string {
    return `${this.opts.publicUrl.replace(/\/+$/, '')}/global-token-revocation/${encodeURIComponent(orgId)}`;
  }

  async get(p: Principal, orgId: string): Promise<UniversalLogoutView> {
    assertCanAdminister(p, orgId);
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    if (!org.universalLogout) throw new IdsyncError('universal_logout.not_configured', `Universal Logout is not set up for organization ${orgId}`, { orgId });
    return { ...org.universalLogout, endpoint: this.endpointOf(orgId) };
  }

  /** Sets (or replaces) the settings: `jwksUri` defaults to Okta's keys of the issuer, `audience` to the endpoint URL. */
  async set(p: Principal, orgId: string, input: unknown): Promise<UniversalLogoutView> {
    assertCanAdminister(p, orgId);
    const data = parseInput(settingsSchema, input);
    const jwksUri = data.jwksUri ?? oktaJwksUri(data.issuer);
    if (!this.opts.allowPrivateNetworks) {
      const reason = blockedLiteralReason(jwksUri);
      if (reason) throw new IdsyncError('request.invalid', `jwksUri: ${reason}`, { problems: [{ field: 'jwksUri', message: reason }] });
    }
    await openOrg(this.deps, orgId);
    const at = this.deps.clock.now().toISOString();
    const settings: UniversalLogoutSettings = { issuer: data.issuer.replace(/\/+$/, ''), jwksUri, audience: data.audience ?? this.endpointOf(orgId), updatedAt: at };
    const { record } = await this.deps.store.updateOrg(orgId, (cur) => {
      const same = cur.universalLogout && cur.universalLogout.issuer === settings.issuer && cur.universalLogout.jwksUri === settings.jwksUri && cur.universalLogout.audience === settings.audience;
      if (same) return null;
      const { updatedAt: _u, ...after } = settings;
      return {
        next: { ...cur, universalLogout: settings, updatedAt: at },
        audit: { orgId, actor: p.actor, action: 'org.universal_logout_configured', target: { type: 'org', id: orgId }, ...(cur.universalLogout ? { before: strip(cur.universalLogout) } : {}), after },
      };
    });
    return { ...record.universalLogout!, endpoint: this.endpointOf(orgId) };
  }

  /** Turns Universal Logout off for the org: its endpoint then refuses every request (401). */
  async remove(p: Principal, orgId: string): Promise<void> {
    assertCanAdminister(p, orgId);
    await openOrg(this.deps, orgId);
    const at = this.deps.clock.now().toISOString();
    const { changed } = await this.deps.store.updateOrg(orgId, (cur) => {
      if (!cur.universalLogout) return null;
      const { universalLogout, ...rest } = cur;
      return { next: { ...rest, updatedAt: at }, audit: { orgId, actor: p.actor, action: 'org.universal_logout_removed', target: { type: 'org', id: orgId }, before: strip(universalLogout) } };
    });
    if (!changed) throw new IdsyncError('universal_logout.not_configured', `Universal Logout is not set up for organization ${orgId}`, { orgId });
  }
}

const strip = (s: UniversalLogoutSettings) => ({ issuer: s.issuer, jwksUri: s.jwksUri, audience: s.audience });
