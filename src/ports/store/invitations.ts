import type { AuditDraft, Invitation, InvitationStatus, InviteLink } from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from './types.js';

/** Email invitations and reusable invite links, both found by the hash of their token. */
export interface InvitationStore {
  /**
   * Refuses atomically with `invite.cap_reached` when the org already has `pendingCap` invitations
   * that are pending and unexpired at `now`, and with `invite.duplicate` when one of them is for the
   * same email (case-insensitive).
   */
  createInvitation(inv: Invitation, audit: AuditDraft, opts: { pendingCap: number; now: string }): Promise<Invitation>;
  getInvitation(orgId: string, id: string): Promise<Invitation | undefined>;
  /** Global index on the current token hash (a resend replaces the hash; the old one finds nothing). */
  findInvitationByTokenHash(hash: string): Promise<Invitation | undefined>;
  /** Newest first. `statuses` filters on the stored status (an unexpired check is the caller's). */
  listInvitations(orgId: string, query?: PageRequest & { statuses?: InvitationStatus[] }): Promise<Page<Invitation>>;
  /** Stored-pending invitations for an email (case-insensitive), expired or not. */
  listPendingInvitationsForEmail(orgId: string, email: string): Promise<Invitation[]>;
  /** Keeps the token-hash and email indexes in step with the record. */
  updateInvitation(orgId: string, id: string, updater: Updater<Invitation>, opts?: UpdateOptions): Promise<UpdateResult<Invitation>>;

  createInviteLink(link: InviteLink, audit: AuditDraft): Promise<InviteLink>;
  getInviteLink(orgId: string, id: string): Promise<InviteLink | undefined>;
  findInviteLinkByTokenHash(hash: string): Promise<InviteLink | undefined>;
  /** Newest first. */
  listInviteLinks(orgId: string, page?: PageRequest): Promise<Page<InviteLink>>;
  /** Rotation (new token hash), revocation and each use go through here (CAS: two racing last uses, one wins). */
  updateInviteLink(orgId: string, id: string, updater: Updater<InviteLink>, opts?: UpdateOptions): Promise<UpdateResult<InviteLink>>;
}
