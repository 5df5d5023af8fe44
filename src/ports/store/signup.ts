import type { AuditDraft } from '../../domain/model.js';
import type { DomainClaim, JoinRequest, JoinRequestStatus } from '../../domain/signup.js';
import type { UpdateOptions, UpdateResult, Updater } from './types.js';

/**
 * Domain claims (per org, keyed by domain) and join requests (per org). A verified claim is unique
 * across orgs: the store refuses, atomically with the write, any change that would leave two orgs
 * with a verified claim on one domain (`domain.taken`), so of two orgs verifying one domain at once
 * exactly one wins.
 */
export interface SignupStore {
  /** `org.not_found`; `domain.exists` when the org already claims the domain; `domain.taken` when created verified and another org holds it. */
  createDomainClaim(claim: DomainClaim, audit: AuditDraft): Promise<DomainClaim>;
  getDomainClaim(orgId: string, domain: string): Promise<DomainClaim | undefined>;
  /** The org's claims in creation order. */
  listDomainClaims(orgId: string): Promise<DomainClaim[]>;
  /** The one verified claim on the domain, of whichever org holds it. */
  findVerifiedDomain(domain: string): Promise<DomainClaim | undefined>;
  /** Compare-and-swap; `domain.not_found`; `domain.taken` when the next record is verified and another org holds the domain. */
  updateDomainClaim(orgId: string, domain: string, updater: Updater<DomainClaim>, opts?: UpdateOptions): Promise<UpdateResult<DomainClaim>>;
  /** Deletes the claim (a verified one frees the domain); `domain.not_found`. */
  deleteDomainClaim(orgId: string, domain: string, audit: AuditDraft): Promise<void>;

  /** `org.not_found`. */
  createJoinRequest(req: JoinRequest, audit: AuditDraft): Promise<JoinRequest>;
  getJoinRequest(orgId: string, id: string): Promise<JoinRequest | undefined>;
  /** Oldest first; `statuses` filters. Few per org (people waiting for an admin), so listed whole. */
  listJoinRequests(orgId: string, query?: { statuses?: JoinRequestStatus[] }): Promise<JoinRequest[]>;
  /** Compare-and-swap (two admins deciding at once: one wins); `join_request.not_found`. */
  updateJoinRequest(orgId: string, id: string, updater: Updater<JoinRequest>, opts?: UpdateOptions): Promise<UpdateResult<JoinRequest>>;
}
