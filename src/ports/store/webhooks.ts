import type { AuditDraft, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from './types.js';

/** Webhook endpoints, their deliveries, and the outbox cursors of the consumers that turn outbox records into deliveries. */
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
