import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { Organization } from '../../domain/model.js';
import { grantState, type SupportGrant, type SupportGrantState } from '../../domain/support.js';
import { assertCanAdminister, assertCanRead, type Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import { openOrg } from '../merge/sides.js';
import { parseInput } from '../validate.js';

/** The owners are told a grant was used at most once per grant per this long. */
export const NOTIFY_EVERY_MS = 60 * 60 * 1000;
/** The longest grant an owner can give: 30 days. */
export const MAX_GRANT_HOURS = 24 * 30;

const grantSchema = z
  .object({
    hours: z.number().int().min(1).max(MAX_GRANT_HOURS),
    reason: z.string().trim().min(1, 'reason is required').max(500),
  })
  .strict();

const modeSchema = z.enum(['open', 'consent']);

export type PublicGrant = SupportGrant & { state: SupportGrantState };

/** What a request under a grant did, for the audit trail. */
export interface SupportAction {
  method: string;
  path: string;
}

export const CONSENT_HOW =
  'an owner of the organization grants time-boxed access: `idsync support-access grant --org ORG_ID --hours N --reason TEXT` with the org\'s admin key, or POST /api/v1/orgs/{org}/support-grants';

/**
 * Support access with consent. An org with `supportAccess: consent` lets provider-wide principals
 * (the operator's keys, the CLI) reach its data only while an owner's grant is live; every request
 * under a grant is audited with the grant's id, and the owners get a `support.access_used` webhook
 * at most once per grant per hour. Org principals are never affected.
 */
export class SupportAccessService {
  constructor(private readonly deps: ServiceDeps) {}

  /** Only the org's owners (an org key, an owner acting through it, an owner's console session) may consent. */
  async grant(p: Principal, orgId: string, input: { hours: number; reason: string }): Promise<PublicGrant> {
    if (p.kind !== 'org') throw new IdsyncError('auth.forbidden', 'only an owner of the organization can grant support access (use the org\'s admin key)');
    // A console session the operator opened under a grant acts with owner standing; it must not extend its own access.
    if (p.actor.supportGrantId) throw new IdsyncError('auth.forbidden', 'access under a support grant cannot grant support access: only an owner of the organization can');
    assertCanAdminister(p, orgId);
    const { hours, reason } = parseInput(grantSchema, input);
    const org = await this.#org(orgId);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const grant: SupportGrant = {
      id: randomUUID(),
      orgId: org.id,
      reason,
      grantedBy: p.actor,
      createdAt: at,
      expiresAt: new Date(now.getTime() + hours * 3_600_000).toISOString(),
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createSupportGrant(grant, { orgId, actor: p.actor, action: 'support.granted', target: { type: 'support_grant', id: grant.id }, after: grant, reason });
    this.deps.logger.info('support access granted', { orgId, grantId: grant.id, hours });
    return this.#public(grant);
  }

  /**
   * Sets the org's support access mode. An owner may set either; the operator (a provider-wide
   * principal) may only tighten it to `consent`, never lift an owner's consent requirement.
   */
  async setMode(p: Principal, orgId: string, mode: 'open' | 'consent'): Promise<Organization> {
    assertCanAdminister(p, orgId);
    const m = parseInput(modeSchema, mode);
    await openOrg(this.deps, orgId);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateOrg(orgId, (cur) => {
      const was = cur.settings.supportAccess ?? 'open';
      if (was === m) return null;
      if (m === 'open' && (p.kind === 'provider' || p.actor.supportGrantId)) throw new IdsyncError('auth.forbidden', 'only an owner of the organization can lift its consent requirement for support access');
      return {
        next: { ...cur, settings: { ...cur.settings, supportAccess: m }, updatedAt: at },
        audit: { orgId, actor: p.actor, action: 'org.support_access_changed', target: { type: 'org', id: orgId }, before: { supportAccess: was }, after: { supportAccess: m } },
      };
    });
    return record;
  }

  /** The org's members and the operator may see the grants (they hold no member data). */
  async list(p: Principal, orgId: string): Promise<PublicGrant[]> {
    assertCanRead(p, orgId);
    await this.#org(orgId);
    return (await this.deps.store.listSupportGrants(orgId)).map((g) => this.#public(g));
  }

  /** An owner ends the consent; the operator may give the access up early too. */
  async revoke(p: Principal, orgId: string, id: string): Promise<PublicGrant> {
    assertCanAdminister(p, orgId);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateSupportGrant(orgId, id, (g) =>
      g.revokedAt ? null : { next: { ...g, revokedAt: at, revokedBy: p.actor, updatedAt: at }, audit: { orgId, actor: p.actor, action: 'support.revoked', target: { type: 'support_grant', id }, before: g } },
    );
    return this.#public(record);
  }

  /**
   * Lets a principal reach the org's data, or refuses with `support.consent_required`. A provider
   * principal on an org under consent gets back a principal whose actor names the live grant (so
   * every change it makes is audited with it), and the request itself is audited.
   */
  async admit(p: Principal, orgId: string, action: SupportAction): Promise<Principal> {
    if (p.kind !== 'provider') return p;
    const org = await this.deps.store.getOrg(orgId);
    if (!org || (org.settings.supportAccess ?? 'open') === 'open') return p;
    const now = this.deps.clock.now();
    const grant = (await this.deps.store.listSupportGrants(orgId)).find((g) => grantState(g, now) === 'active');
    if (!grant) {
      throw new IdsyncError('support.consent_required', `organization ${orgId} allows support access only with an owner's consent: ${CONSENT_HOW}`, { orgId, how: CONSENT_HOW });
    }
    const actor = { ...p.actor, supportGrantId: grant.id };
    await this.deps.store.appendAudit({ orgId, actor, action: 'support.access', target: { type: 'support_grant', id: grant.id }, after: action });
    await this.#notify(orgId, grant.id, actor, action, now);
    return { ...p, actor };
  }

  /** `support.access_used` once per grant per hour: the compare-and-swap lets one request of many (and one replica of many) win. */
  async #notify(orgId: string, grantId: string, actor: Principal['actor'], action: SupportAction, now: Date): Promise<void> {
    const at = now.toISOString();
    await this.deps.store.updateSupportGrant(orgId, grantId, (g) => {
      if (g.lastNotifiedAt && now.getTime() - Date.parse(g.lastNotifiedAt) < NOTIFY_EVERY_MS) return null;
      return {
        next: { ...g, lastNotifiedAt: at, updatedAt: at },
        audit: { orgId, actor, action: 'support.access_used', target: { type: 'support_grant', id: grantId }, after: { grantId, reason: g.reason, expiresAt: g.expiresAt, firstRequest: action } },
      };
    });
  }

  async #org(orgId: string): Promise<Organization> {
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return org;
  }

  #public(g: SupportGrant): PublicGrant {
    return { ...g, state: grantState(g, this.deps.clock.now()) };
  }
}
