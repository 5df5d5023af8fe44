import type { AuditDraft } from '../../domain/model.js';
import type { PurgeReceipt, SupportGrant } from '../../domain/support.js';
import type { UpdateOptions, UpdateResult, Updater } from './types.js';

/** Support access grants of an org: few (tens), listed whole, newest first. */
export interface SupportGrantStore {
  /** Throws `org.not_found`. */
  createSupportGrant(grant: SupportGrant, audit: AuditDraft): Promise<SupportGrant>;
  getSupportGrant(orgId: string, id: string): Promise<SupportGrant | undefined>;
  /** Newest first. */
  listSupportGrants(orgId: string): Promise<SupportGrant[]>;
  /** Compare-and-swap (see Updater); throws `support.grant_not_found`. */
  updateSupportGrant(orgId: string, id: string, updater: Updater<SupportGrant>, opts?: UpdateOptions): Promise<UpdateResult<SupportGrant>>;
}

/**
 * Removing an org's data for good. `purgeOrg` removes every record of the org (members, teams,
 * invitations, links, tokens, keys, connections and runs, webhooks and deliveries, role mappings,
 * grants, streams, the audit chain and its outbox, the org record last) and keeps a receipt with the
 * chain's last hash and length, written with the audit draft (in the provider chain) atomically.
 * It is idempotent and resumable: run again after a crash half way, it finishes; run on an org that
 * is gone, it returns the receipt already kept (`purged: false`).
 */
export interface OrgPurgeStore {
  /** `receipt` without the chain fields (the store reads them). Throws `org.not_found` when there is neither the org nor a receipt. */
  purgeOrg(receipt: Omit<PurgeReceipt, 'lastAuditHash' | 'auditCount'>, audit: AuditDraft): Promise<{ receipt: PurgeReceipt; purged: boolean }>;
  getPurgeReceipt(orgId: string): Promise<PurgeReceipt | undefined>;
  /** Oldest purge first. */
  listPurgeReceipts(): Promise<PurgeReceipt[]>;
}
