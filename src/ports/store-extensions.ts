import type {
  AuditDraft,
  DirectoryConnection,
  DeliveryStatus,
  Invitation,
  InvitationStatus,
  InviteLink,
  Member,
  ReconcileRun,
  WebhookDelivery,
  WebhookEndpoint,
} from '../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from './store.js';

/**
 * Parts of the storage port added for invitations, directory connections, reconcile runs and
 * webhooks. Same contract as Store: changes with an audit draft write it (and its outbox record)
 * atomically; Updater/UpdateOptions have the same compare-and-swap semantics; errors are coded.
 */
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

  /** Live members of the org linked to this upstream identity (Member.identities), indexed. */
  findMemberByIdentity(orgId: string, provider: string, subject: string): Promise<Member | undefined>;
}

export interface ConnectionStore {
  createConnection(conn: DirectoryConnection, audit: AuditDraft): Promise<DirectoryConnection>;
  /** By id alone (CLI: `connections test ID`); ids are globally unique. */
  getConnection(id: string): Promise<DirectoryConnection | undefined>;
  /** Without orgId: every connection of every org (the scheduler). Creation order. */
  listConnections(orgId?: string): Promise<DirectoryConnection[]>;
  updateConnection(orgId: string, id: string, updater: Updater<DirectoryConnection>, opts?: UpdateOptions): Promise<UpdateResult<DirectoryConnection>>;
  /**
   * Reconciler bookkeeping that is not a change anyone needs audited: sync state, health and the
   * last run. Does not bump `version` (so it never fails an admin's concurrent CAS update).
   */
  saveConnectionState(orgId: string, id: string, state: Partial<Pick<DirectoryConnection, 'syncState' | 'health' | 'lastRunId' | 'lastRunAt'>>): Promise<void>;
  deleteConnection(orgId: string, id: string, audit: AuditDraft): Promise<void>;

  /** Runs are their own record (no audit draft); approvals and actions are audited by the services. */
  createRun(run: ReconcileRun): Promise<ReconcileRun>;
  getRun(id: string): Promise<ReconcileRun | undefined>;
  /** Newest first. */
  listRuns(connectionId: string, page?: PageRequest): Promise<Page<ReconcileRun>>;
  updateRun(orgId: string, id: string, update: (current: ReconcileRun) => ReconcileRun, opts?: UpdateOptions): Promise<ReconcileRun>;
}

export interface WebhookStore {
  createWebhook(ep: WebhookEndpoint, audit: AuditDraft): Promise<WebhookEndpoint>;
  getWebhook(orgId: string, id: string): Promise<WebhookEndpoint | undefined>;
  listWebhooks(orgId: string): Promise<WebhookEndpoint[]>;
  updateWebhook(orgId: string, id: string, updater: Updater<WebhookEndpoint>, opts?: UpdateOptions): Promise<UpdateResult<WebhookEndpoint>>;
  deleteWebhook(orgId: string, id: string, audit: AuditDraft): Promise<void>;

  /** Insert or replace by id (deliveries are bookkeeping, not audited). */
  saveDelivery(d: WebhookDelivery): Promise<void>;
  getDelivery(orgId: string, id: string): Promise<WebhookDelivery | undefined>;
  /** Newest first. */
  listDeliveries(orgId: string, query?: PageRequest & { endpointId?: string; status?: DeliveryStatus }): Promise<Page<WebhookDelivery>>;
  /** Pending deliveries of any org whose nextAttemptAt <= now, oldest due first. */
  listDueDeliveries(now: string, limit: number): Promise<WebhookDelivery[]>;

  /** How far a named consumer (e.g. `webhooks`) has read an org's outbox; 0 when never. */
  getOutboxCursor(orgId: string, consumer: string): Promise<number>;
  setOutboxCursor(orgId: string, consumer: string, seq: number): Promise<void>;
  /** Orgs whose outbox has records past the consumer's cursor. */
  listOrgsWithOutboxBacklog(consumer: string): Promise<string[]>;
}
