/**
 * Cross-organization lookups: which orgs may hold a match, without walking every org. Each returns
 * *candidate* org ids (distinct, in no particular order): every org that holds a live match is
 * among them, but an org whose match has since gone may be too (Redis keeps such entries until the
 * org is purged or the index is rebuilt). Callers verify each candidate with the per-org lookup
 * (findMemberByIdentity, findMembersByEmail, listPendingInvitationsForEmail, getInviteLink…), so a
 * stale candidate costs one lookup and never a wrong answer.
 *
 * Every write path that creates or changes members, invitations and invite links keeps these
 * complete, and so do migrate-store, the Redis importer, org purge and merge.
 */
export interface CrossOrgIndexStore {
  /** Orgs with a live member linked to this upstream identity (Member.identities). */
  findOrgIdsByMemberIdentity(provider: string, subject: string): Promise<string[]>;
  /** Orgs with a live member having this email (any of its emails, case-insensitive as emailKey). */
  findOrgIdsByMemberEmail(email: string): Promise<string[]>;
  /** Orgs with a stored-pending invitation for this email (case-insensitive; expired or not). */
  findOrgIdsWithPendingInvitationFor(email: string): Promise<string[]>;
  /** Orgs with an invite link whose allowedDomains contains this domain (case-insensitive; any link state). */
  findOrgIdsWithInviteLinkDomain(domain: string): Promise<string[]>;
  /** The org of a member id (ids are unique across orgs): at most one live candidate, tombstones included. */
  findOrgIdsByMemberId(memberId: string): Promise<string[]>;
}
