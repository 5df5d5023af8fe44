import type { Actor, ScimClient, ScimClientSecret } from '../../domain/model.js';
import { records } from '../../ports/paging.js';
import type { ServiceDeps } from '../deps.js';

/** How long before a secret expires the warnings start. */
export const EXPIRY_WARNING_DAYS = 20;
const DAY_MS = 86_400_000;
const SYSTEM: Actor = { kind: 'system', label: 'secret expiry watch' };

/** One unrevoked secret of a live client inside the warning window (or past its expiry). */
export interface ExpiringSecret {
  orgId: string;
  clientId: string;
  secretId: string;
  label?: string;
  expiresAt: string;
  /** Negative once expired. */
  secondsLeft: number;
  /** Whether this scan wrote the day's log line and audit event (once per secret and UTC day, across replicas). */
  warnedToday: boolean;
}

/**
 * Warns before SCIM client secrets expire, so provisioning never silently stops with 401: from
 * EXPIRY_WARNING_DAYS before expiry until the secret is revoked, every scan reports it (the metric),
 * and the first scan of each UTC day writes one warning log line and one `scim_client.secret_expiring`
 * audit event. The day is recorded on the secret by a compare-and-swap update, so replicas that
 * scan the same day do not warn twice.
 */
export class SecretExpiryWatch {
  constructor(private readonly deps: ServiceDeps) {}

  async scan(): Promise<ExpiringSecret[]> {
    const now = this.deps.clock.now();
    const today = now.toISOString().slice(0, 10);
    const found: ExpiringSecret[] = [];
    for await (const org of records((p) => this.deps.store.listOrgs(p))) {
      for (const client of await this.deps.store.listScimClients(org.id)) {
        if (client.revokedAt) continue;
        for (const secret of client.secrets.filter((s) => inWindow(s, now))) {
          const warnedToday = secret.expiryWarnedOn !== today && (await this.#warn(client, secret.id, today));
          found.push({
            orgId: client.orgId,
            clientId: client.id,
            secretId: secret.id,
            ...(client.label ? { label: client.label } : {}),
            expiresAt: secret.expiresAt,
            secondsLeft: Math.round((Date.parse(secret.expiresAt) - now.getTime()) / 1000),
            warnedToday,
          });
        }
      }
    }
    return found;
  }

  async #warn(client: ScimClient, secretId: string, today: string): Promise<boolean> {
    const r = await this.deps.store.updateScimClient(client.id, (c) => {
      const s = c.secrets.find((x) => x.id === secretId);
      if (!s || s.revokedAt || s.expiryWarnedOn === today || c.revokedAt) return null;
      return {
        next: { ...c, secrets: c.secrets.map((x) => (x.id === secretId ? { ...x, expiryWarnedOn: today } : x)) },
        audit: {
          orgId: c.orgId,
          actor: SYSTEM,
          action: 'scim_client.secret_expiring',
          target: { type: 'scim_client', id: c.id },
          after: { secretId, expiresAt: s.expiresAt },
        },
      };
    });
    if (!r.changed) return false;
    const secret = r.record.secrets.find((s) => s.id === secretId)!;
    this.deps.logger.warn('a SCIM OAuth client secret expires soon; rotate it (idsync scim-clients rotate) and give the IdP the new one', {
      orgId: client.orgId,
      clientId: client.id,
      secretId,
      expiresAt: secret.expiresAt,
    });
    return true;
  }
}

function inWindow(s: ScimClientSecret, now: Date): boolean {
  return s.revokedAt === undefined && Date.parse(s.expiresAt) - now.getTime() <= EXPIRY_WARNING_DAYS * DAY_MS;
}
