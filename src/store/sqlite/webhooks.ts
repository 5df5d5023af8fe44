import type { AuditDraft, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, PROVIDER_SCOPE, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater, type WebhookStore } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { epochMs, webhookNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/**
 * Webhook endpoints, their deliveries, and the outbox cursors of the consumers that turn outbox records
 * into deliveries. The operator's endpoints and deliveries have the provider scope as their org id (no org row).
 */
export class SqliteWebhooks implements WebhookStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createWebhook(ep: WebhookEndpoint, audit: AuditDraft): Promise<WebhookEndpoint> {
    return this.ctx.write(() => {
      if (ep.orgId !== PROVIDER_SCOPE) this.ctx.assertOrg(ep.orgId);
      try {
        this.ctx.stmt('INSERT INTO webhooks (id, org_id, version, data) VALUES (?, ?, ?, ?)').run(ep.id, ep.orgId, ep.version, JSON.stringify(ep));
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'webhook endpoint', ep.id);
      }
      this.ctx.appendTx(audit);
      return ep;
    });
  }

  async getWebhook(orgId: string, id: string): Promise<WebhookEndpoint | undefined> {
    return this.ctx.run(() => this.ctx.recordTx<WebhookEndpoint>('webhooks', orgId, id));
  }

  async listWebhooks(orgId: string): Promise<WebhookEndpoint[]> {
    return this.ctx.run(() => (this.ctx.stmt('SELECT data FROM webhooks WHERE org_id = ? ORDER BY seq').all(orgId) as DataRow[]).map((r) => parse<WebhookEndpoint>(r)!));
  }

  async updateWebhook(orgId: string, id: string, updater: Updater<WebhookEndpoint>, opts?: UpdateOptions): Promise<UpdateResult<WebhookEndpoint>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<WebhookEndpoint>('webhooks', orgId, id);
      if (!current) throw webhookNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE webhooks SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }

  async deleteWebhook(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.write(() => {
      if (this.ctx.stmt('DELETE FROM webhooks WHERE id = ? AND org_id = ?').run(id, orgId).changes === 0) throw webhookNotFound(id);
      this.ctx.appendTx(audit);
    });
  }

  // ---- deliveries ----

  /** An upsert keeps the delivery's place in the newest-first order: it is where it was first saved. */
  async saveDelivery(d: WebhookDelivery): Promise<void> {
    this.ctx.write(() => {
      if (d.orgId !== PROVIDER_SCOPE) this.ctx.assertOrg(d.orgId);
      const nextMs = d.nextAttemptAt === undefined ? null : epochMs(d.nextAttemptAt, 'nextAttemptAt');
      this.ctx.stmt(
        `INSERT INTO webhook_deliveries (org_id, id, endpoint_id, status, next_attempt_ms, data) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (org_id, id) DO UPDATE SET endpoint_id = excluded.endpoint_id, status = excluded.status,
           next_attempt_ms = excluded.next_attempt_ms, data = excluded.data`,
      ).run(d.orgId, d.id, d.endpointId, d.status, nextMs, JSON.stringify(d));
    });
  }

  async getDelivery(orgId: string, id: string): Promise<WebhookDelivery | undefined> {
    return this.ctx.run(() => this.ctx.recordTx<WebhookDelivery>('webhook_deliveries', orgId, id));
  }

  async listDeliveries(orgId: string, query?: PageRequest & { endpointId?: string; status?: DeliveryStatus }): Promise<Page<WebhookDelivery>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const where = ['org_id = ?'];
      const args: unknown[] = [orgId];
      if (query?.endpointId !== undefined) {
        where.push('endpoint_id = ?');
        args.push(query.endpointId);
      }
      if (query?.status !== undefined) {
        where.push('status = ?');
        args.push(query.status);
      }
      const clause = where.join(' AND ');
      const rows = this.ctx.stmt(`SELECT data FROM webhook_deliveries WHERE ${clause} ORDER BY seq DESC LIMIT ? OFFSET ?`).all(...args, limit, offset) as DataRow[];
      const { n } = this.ctx.stmt(`SELECT count(*) AS n FROM webhook_deliveries WHERE ${clause}`).get(...args) as { n: number };
      return { items: rows.map((r) => parse<WebhookDelivery>(r)!), total: n };
    });
  }

  async listDueDeliveries(now: string, limit: number): Promise<WebhookDelivery[]> {
    const nowMs = epochMs(now, 'now');
    return this.ctx.run(() =>
      (
        this.ctx.stmt(
          `SELECT data FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_ms IS NOT NULL AND next_attempt_ms <= ?
           ORDER BY next_attempt_ms, seq LIMIT ?`,
        ).all(nowMs, Math.max(0, Math.floor(limit))) as DataRow[]
      ).map((r) => parse<WebhookDelivery>(r)!),
    );
  }

  // ---- outbox cursors ----

  async getOutboxCursor(orgId: string, consumer: string): Promise<number> {
    return this.ctx.run(() => (this.ctx.stmt('SELECT seq FROM outbox_cursors WHERE org_id = ? AND consumer = ?').get(orgId, consumer) as { seq: number } | undefined)?.seq ?? 0);
  }

  async setOutboxCursor(orgId: string, consumer: string, seq: number): Promise<void> {
    this.ctx.write(() => {
      this.ctx.stmt('INSERT INTO outbox_cursors (org_id, consumer, seq) VALUES (?, ?, ?) ON CONFLICT (org_id, consumer) DO UPDATE SET seq = excluded.seq').run(
        orgId,
        consumer,
        seq,
      );
    });
  }

  async listOrgsWithOutboxBacklog(consumer: string): Promise<string[]> {
    return this.ctx.run(() =>
      (
        this.ctx.stmt(
          // A skip-scan over the outbox key: one index seek per org for its next org id and its head,
          // instead of reading every outbox row (GROUP BY) on each poll.
          `WITH RECURSIVE orgs(org_id) AS (
             SELECT (SELECT min(org_id) FROM outbox)
             UNION ALL SELECT (SELECT min(org_id) FROM outbox WHERE org_id > orgs.org_id) FROM orgs WHERE orgs.org_id IS NOT NULL)
           SELECT o.org_id AS org_id FROM orgs o LEFT JOIN outbox_cursors c ON c.org_id = o.org_id AND c.consumer = ?
           WHERE o.org_id IS NOT NULL AND (SELECT max(seq) FROM outbox WHERE org_id = o.org_id) > coalesce(c.seq, 0) ORDER BY o.org_id`,
        ).all(consumer) as { org_id: string }[]
      ).map((r) => r.org_id),
    );
  }
}
