import { IdsyncError } from '../../domain/errors.js';
import type { Organization } from '../../domain/model.js';
import type { PurgeReceipt } from '../../domain/support.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { collect } from '../../ports/paging.js';
import { assertCanAdminister, type Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';

const DAY_MS = 86_400_000;

/** The purge job's outcome: orgs purged by this pass, and orgs whose purge failed (retried next pass). */
export interface PurgeOutcome {
  purged: PurgeReceipt[];
  failed: { orgId: string; error: string }[];
}

export function deletingError(org: Organization): IdsyncError {
  const purgeAt = org.deletion?.purgeAt;
  return new IdsyncError('org.deleting', `organization ${org.id} is scheduled for deletion; its data will be purged at ${purgeAt} unless an owner or the operator restores it`, {
    orgId: org.id,
    ...(purgeAt ? { purgeAt } : {}),
  });
}

/**
 * Deleting an org with a grace period. `delete` puts the org in `deleting` (nothing changes it, its
 * tokens and links stop working, reads answer `org.deleting` with the purge time); `restore` takes it
 * back during the grace period; after it, `purgeDue` (a daemon job) removes the org's data on the
 * store and keeps a receipt with the audit chain's last hash and length. Each step is audited:
 * `org.deleted` and `org.restored` in the org's chain (its webhooks and the operator's get them),
 * `org.purged` in the provider chain (the org's own chain and webhooks are gone by then; the
 * operator's webhooks get it).
 */
export class OrgDeletionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly opts: { graceDays: number; onPurgePass?: (outcome: PurgeOutcome) => void },
  ) {}

  /** An owner or the operator; an org already being deleted is returned as it is. */
  async delete(p: Principal, orgId: string, reason?: string): Promise<Organization> {
    assertCanAdminister(p, orgId);
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const deletion = { requestedAt: at, purgeAt: new Date(now.getTime() + this.opts.graceDays * DAY_MS).toISOString(), by: p.actor };
    const { record } = await this.deps.store.updateOrg(orgId, (cur) => {
      if (cur.state === 'deleting') return null;
      if (cur.state === 'merged' || cur.state === 'merging') throw refused(cur, `it ${cur.state === 'merged' ? 'was merged' : 'is being merged'} into ${cur.mergedInto}`);
      return {
        next: { ...cur, state: 'deleting', deletion, updatedAt: at },
        audit: { orgId, actor: p.actor, action: 'org.deleted', target: { type: 'org', id: orgId }, after: { state: 'deleting', ...deletion }, ...(reason ? { reason } : {}) },
      };
    });
    this.deps.logger.info('organization scheduled for deletion', { orgId, purgeAt: record.deletion?.purgeAt });
    return record;
  }

  /** An owner or the operator, while the org is `deleting`. */
  async restore(p: Principal, orgId: string): Promise<Organization> {
    assertCanAdminister(p, orgId);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateOrg(orgId, (cur) => {
      if (cur.state !== 'deleting') throw refused(cur, 'it is not scheduled for deletion');
      const { deletion, state: _s, ...rest } = cur;
      return {
        next: { ...rest, state: 'active', updatedAt: at },
        audit: { orgId, actor: p.actor, action: 'org.restored', target: { type: 'org', id: orgId }, before: { state: 'deleting', ...deletion }, after: { state: 'active' } },
      };
    });
    this.deps.logger.info('organization restored', { orgId });
    return record;
  }

  /** Purges every org whose grace period is over; one failing org does not stop the others. */
  async purgeDue(): Promise<PurgeOutcome> {
    const now = this.deps.clock.now();
    const due = (await collect((page) => this.deps.store.listOrgs(page))).filter((o) => o.state === 'deleting' && o.deletion && Date.parse(o.deletion.purgeAt) <= now.getTime());
    const out: PurgeOutcome = { purged: [], failed: [] };
    for (const org of due) {
      try {
        out.purged.push(await this.#purge(org, now));
      } catch (err) {
        this.deps.logger.warn('organization purge failed; retried next pass', { orgId: org.id, error: (err as Error).message });
        out.failed.push({ orgId: org.id, error: (err as Error).message });
      }
    }
    this.opts.onPurgePass?.(out);
    return out;
  }

  receipts(): Promise<PurgeReceipt[]> {
    return this.deps.store.listPurgeReceipts();
  }

  async receipt(orgId: string): Promise<PurgeReceipt> {
    const r = await this.deps.store.getPurgeReceipt(orgId);
    if (!r) throw new IdsyncError('org.not_found', `no purge receipt for organization ${orgId}`, { orgId });
    return r;
  }

  async #purge(org: Organization, now: Date): Promise<PurgeReceipt> {
    const base = { orgId: org.id, name: org.name, deletionRequestedAt: org.deletion!.requestedAt, purgeAt: org.deletion!.purgeAt, purgedAt: now.toISOString() };
    const { receipt } = await this.deps.store.purgeOrg(base, {
      orgId: PROVIDER_SCOPE,
      actor: { kind: 'system', label: 'org purge' },
      action: 'org.purged',
      target: { type: 'org', id: org.id },
      after: { orgId: org.id, name: org.name, deletionRequestedAt: base.deletionRequestedAt, purgeAt: base.purgeAt },
    });
    // org.purged reaches the operator's webhook endpoints through the provider chain's outbox; this
    // line (event org.purged), idsync_org_purges_total and the receipts API are signals besides it.
    this.deps.logger.info('organization purged', { event: 'org.purged', orgId: org.id, name: org.name, purgedAt: receipt.purgedAt, auditCount: receipt.auditCount, lastAuditHash: receipt.lastAuditHash });
    return receipt;
  }
}

function refused(org: Organization, why: string): IdsyncError {
  return new IdsyncError('org.deletion_refused', `organization ${org.id} cannot be deleted or restored: ${why}`, { orgId: org.id, ...(org.state ? { state: org.state } : {}) });
}
