import type {
  AuditDraft,
  DeliveryStatus,
  DirectoryConnection,
  Invitation,
  InvitationStatus,
  InviteLink,
  Member,
  ReconcileRun,
  WebhookDelivery,
  WebhookEndpoint,
} from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import type { ConnectionStore, InvitationStore, WebhookStore } from '../../ports/store.js';
import { Connections } from './connections.js';
import type { RedisContext } from './context.js';
import { Invitations } from './invitations.js';
import { Webhooks } from './webhooks.js';

type ConnectionState = Partial<Pick<DirectoryConnection, 'syncState' | 'health' | 'lastRunId' | 'lastRunAt'>>;

/**
 * The storage port's extensions on Redis, one part per area (invitations.ts, connections.ts,
 * webhooks.ts, like credentials.ts); RedisStore extends this with the core of the port.
 */
export abstract class RedisExtensions implements InvitationStore, ConnectionStore, WebhookStore {
  private readonly invitations: Invitations;
  private readonly connections: Connections;
  private readonly webhooks: Webhooks;

  constructor(protected readonly ctx: RedisContext) {
    this.invitations = new Invitations(ctx);
    this.connections = new Connections(ctx);
    this.webhooks = new Webhooks(ctx);
  }

  // ---- invitations, invite links, identities ----

  createInvitation(inv: Invitation, audit: AuditDraft, opts: { pendingCap: number; now: string }): Promise<Invitation> {
    return this.invitations.createInvitation(inv, audit, opts);
  }
  getInvitation(orgId: string, id: string): Promise<Invitation | undefined> {
    return this.invitations.getInvitation(orgId, id);
  }
  findInvitationByTokenHash(hash: string): Promise<Invitation | undefined> {
    return this.invitations.findInvitationByTokenHash(hash);
  }
  listInvitations(orgId: string, query?: PageRequest & { statuses?: InvitationStatus[] }): Promise<Page<Invitation>> {
    return this.invitations.listInvitations(orgId, query);
  }
  listPendingInvitationsForEmail(orgId: string, email: string): Promise<Invitation[]> {
    return this.invitations.listPendingInvitationsForEmail(orgId, email);
  }
  updateInvitation(orgId: string, id: string, updater: Updater<Invitation>, opts?: UpdateOptions): Promise<UpdateResult<Invitation>> {
    return this.invitations.updateInvitation(orgId, id, updater, opts);
  }
  createInviteLink(link: InviteLink, audit: AuditDraft): Promise<InviteLink> {
    return this.invitations.createInviteLink(link, audit);
  }
  getInviteLink(orgId: string, id: string): Promise<InviteLink | undefined> {
    return this.invitations.getInviteLink(orgId, id);
  }
  findInviteLinkByTokenHash(hash: string): Promise<InviteLink | undefined> {
    return this.invitations.findInviteLinkByTokenHash(hash);
  }
  listInviteLinks(orgId: string, page?: PageRequest): Promise<Page<InviteLink>> {
    return this.invitations.listInviteLinks(orgId, page);
  }
  updateInviteLink(orgId: string, id: string, updater: Updater<InviteLink>, opts?: UpdateOptions): Promise<UpdateResult<InviteLink>> {
    return this.invitations.updateInviteLink(orgId, id, updater, opts);
  }
  findMemberByIdentity(orgId: string, provider: string, subject: string): Promise<Member | undefined> {
    return this.invitations.findMemberByIdentity(orgId, provider, subject);
  }

  // ---- connections and runs ----

  createConnection(conn: DirectoryConnection, audit: AuditDraft): Promise<DirectoryConnection> {
    return this.connections.createConnection(conn, audit);
  }
  getConnection(id: string): Promise<DirectoryConnection | undefined> {
    return this.connections.getConnection(id);
  }
  listConnections(orgId?: string): Promise<DirectoryConnection[]> {
    return this.connections.listConnections(orgId);
  }
  updateConnection(orgId: string, id: string, updater: Updater<DirectoryConnection>, opts?: UpdateOptions): Promise<UpdateResult<DirectoryConnection>> {
    return this.connections.updateConnection(orgId, id, updater, opts);
  }
  saveConnectionState(orgId: string, id: string, state: ConnectionState): Promise<void> {
    return this.connections.saveConnectionState(orgId, id, state);
  }
  deleteConnection(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    return this.connections.deleteConnection(orgId, id, audit);
  }
  createRun(run: ReconcileRun): Promise<ReconcileRun> {
    return this.connections.createRun(run);
  }
  getRun(id: string): Promise<ReconcileRun | undefined> {
    return this.connections.getRun(id);
  }
  listRuns(connectionId: string, page?: PageRequest): Promise<Page<ReconcileRun>> {
    return this.connections.listRuns(connectionId, page);
  }
  updateRun(orgId: string, id: string, updater: Updater<ReconcileRun, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<ReconcileRun>> {
    return this.connections.updateRun(orgId, id, updater, opts);
  }

  // ---- webhooks, deliveries, outbox cursors ----

  createWebhook(ep: WebhookEndpoint, audit: AuditDraft): Promise<WebhookEndpoint> {
    return this.webhooks.createWebhook(ep, audit);
  }
  getWebhook(orgId: string, id: string): Promise<WebhookEndpoint | undefined> {
    return this.webhooks.getWebhook(orgId, id);
  }
  listWebhooks(orgId: string): Promise<WebhookEndpoint[]> {
    return this.webhooks.listWebhooks(orgId);
  }
  updateWebhook(orgId: string, id: string, updater: Updater<WebhookEndpoint>, opts?: UpdateOptions): Promise<UpdateResult<WebhookEndpoint>> {
    return this.webhooks.updateWebhook(orgId, id, updater, opts);
  }
  deleteWebhook(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    return this.webhooks.deleteWebhook(orgId, id, audit);
  }
  saveDelivery(d: WebhookDelivery): Promise<void> {
    return this.webhooks.saveDelivery(d);
  }
  getDelivery(orgId: string, id: string): Promise<WebhookDelivery | undefined> {
    return this.webhooks.getDelivery(orgId, id);
  }
  listDeliveries(orgId: string, query?: PageRequest & { endpointId?: string; status?: DeliveryStatus }): Promise<Page<WebhookDelivery>> {
    return this.webhooks.listDeliveries(orgId, query);
  }
  listDueDeliveries(now: string, limit: number): Promise<WebhookDelivery[]> {
    return this.webhooks.listDueDeliveries(now, limit);
  }
  getOutboxCursor(orgId: string, consumer: string): Promise<number> {
    return this.webhooks.getOutboxCursor(orgId, consumer);
  }
  setOutboxCursor(orgId: string, consumer: string, seq: number): Promise<void> {
    return this.webhooks.setOutboxCursor(orgId, consumer, seq);
  }
  listOrgsWithOutboxBacklog(consumer: string): Promise<string[]> {
    return this.webhooks.listOrgsWithOutboxBacklog(consumer);
  }
}
