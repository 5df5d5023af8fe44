import type { AuditDraft, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, PROVIDER_SCOPE, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater, type WebhookStore } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { epochMs, webhookNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type Params, type PostgresContext } from './context.js';

/**
 * Webhook endpoints, their deliveries, and the outbox cursors of the consumers that turn outbox records
 * into deliveries. The operator's endpoints and deliveries have the provider scope as their org id (no org row).
 */
export class PostgresWebhooks implements WebhookStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createWebhook(ep: WebhookEndpoint, audit: AuditDraft): Promise<WebhookEndpoint> {
    return this.ctx.write(ep.orgId, async (tx) => {
      if (ep.orgId !== PROVIDER_SCOPE) await this.ctx.assertOrg(tx, ep.orgId);
      await tx.exec('INSERT INTO webhooks (id, org_id, version, data) VALUES ($1, $2, $3, $4)', [ep.id, ep.orgId, ep.version, JSON.stringify(ep)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'webhook endpoint', ep.id);
      });
      await this.ctx.appendTx(tx, audit);
      return ep;
    });
  }

  async getWebhook(orgId: string, id: string): Promise<WebhookEndpoint | undefined> {
    return this.ctx.read((sql) => this.ctx.record<WebhookEndpoint>(sql, 'webhooks', orgId, id));
  }

  async listWebhooks(orgId: string): Promise<WebhookEndpoint[]> {
    return this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM webhooks WHERE org_id = $1 ORDER BY seq', [orgId])).map((r) => parse<WebhookEndpoint>(r)!));
  }

  async updateWebhook(orgId: string, id: string, updater: Updater<WebhookEndpoint>, opts?: UpdateOptions): Promise<UpdateResult<WebhookEndpoint>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.ctx.record<WebhookEndpoint>(tx, 'webhooks', orgId, id, true);
      if (!current) throw webhookNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE webhooks SET version = $1, data = $2 WHERE id = $3', [next.version, JSON.stringify(next), id]);
      });
    });
  }

  async deleteWebhook(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    await this.ctx.write(orgId, async (tx) => {
      if ((await tx.exec('DELETE FROM webhooks WHERE id = $1 AND org_id = $2', [id, orgId])) === 0) throw webhookNotFound(id);
      await this.ctx.appendTx(tx, audit);
    });
  }

  // ---- deliveries ----

  /** An upsert keeps the delivery's place in the newest-first order: it is where it was first saved. */
  async saveDelivery(d: WebhookDelivery): Promise<void> {
    const nextMs = d.nextAttemptAt === undefined ? null : epochMs(d.nextAttemptAt, 'nextAttemptAt');
    await this.ctx.write(null, async (tx) => {
      if (d.orgId !== PROVIDER_SCOPE) await this.ctx.assertOrg(tx, d.orgId);
      await tx.exec(
        `INSERT INTO webhook_deliveries (org_id, id, endpoint_id, status, next_attempt_ms, data) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (org_id, id) DO UPDATE SET endpoint_id = excluded.endpoint_id, status = excluded.status,
           next_attempt_ms = excluded.next_attempt_ms, data = excluded.data`,
        [d.orgId, d.id, d.endpointId, d.status, nextMs, JSON.stringify(d)],
      );
    });
  }

  async getDelivery(orgId: string, id: string): Promise<WebhookDelivery | undefined> {
    return this.ctx.read((sql) => this.ctx.record<WebhookDelivery>(sql, 'webhook_deliveries', orgId, id));
  }

  async listDeliveries(orgId: string, query?: PageRequest & { endpointId?: string; status?: DeliveryStatus }): Promise<Page<WebhookDelivery>> {
    const { offset, limit } = clampPage(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    const where = ['org_id = $1'];
    const args: string[] = [orgId];
    if (query?.endpointId !== undefined) where.push(`endpoint_id = $${args.push(query.endpointId)}`);
    if (query?.status !== undefined) where.push(`status = $${args.push(query.status)}`);
    const clause = where.join(' AND ');
    return this.ctx.read(async (sql) => {
      const page: Params = [...args, limit, offset];
      const [rows, count] = await Promise.all([
        sql.rows<DataRow>(`SELECT data FROM webhook_deliveries WHERE ${clause} ORDER BY seq DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`, page),
        sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM webhook_deliveries WHERE ${clause}`, args),
      ]);
      return { items: rows.map((r) => parse<WebhookDelivery>(r)!), total: count!.n };
    });
  }

  async listDueDeliveries(now: string, limit: number): Promise<WebhookDelivery[]> {
    const nowMs = epochMs(now, 'now');
    return this.ctx.read(async (sql) =>
      (
        await sql.rows<DataRow>(
          `SELECT data FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_ms IS NOT NULL AND next_attempt_ms <= $1
           ORDER BY next_attempt_ms, seq LIMIT $2`,
          [nowMs, Math.max(0, Math.floor(limit))],
        )
      ).map((r) => parse<WebhookDelivery>(r)!),
    );
  }

  // ---- outbox cursors ----

  async getOutboxCursor(orgId: string, consumer: string): Promise<number> {
    return this.ctx.read(async (sql) => (await sql.one<{ seq: number }>('SELECT seq FROM outbox_cursors WHERE org_id = $1 AND consumer = $2', [orgId, consumer]))?.seq ?? 0);
  }

  async setOutboxCursor(orgId: string, consumer: string, seq: number): Promise<void> {
    await this.ctx.read((sql) =>
      sql.exec('INSERT INTO outbox_cursors (org_id, consumer, seq) VALUES ($1, $2, $3) ON CONFLICT (org_id, consumer) DO UPDATE SET seq = excluded.seq', [orgId, consumer, seq]),
    );
  }

  async listOrgsWithOutboxBacklog(consumer: string): Promise<string[]> {
    return this.ctx.read(async (sql) =>
      (
        await sql.rows<{ org_id: string }>(
          // A loose index scan over the outbox key: one seek per org for the next org id and one for
          // its head, instead of reading every outbox row (GROUP BY) on each poll.
          `WITH RECURSIVE o(org_id) AS (
             (SELECT org_id FROM outbox ORDER BY org_id LIMIT 1)
             UNION ALL
             SELECT (SELECT x.org_id FROM outbox x WHERE x.org_id > o.org_id ORDER BY x.org_id LIMIT 1) FROM o WHERE o.org_id IS NOT NULL)
           SELECT o.org_id FROM o LEFT JOIN outbox_cursors c ON c.org_id = o.org_id AND c.consumer = $1
           WHERE o.org_id IS NOT NULL AND (SELECT max(seq) FROM outbox h WHERE h.org_id = o.org_id) > coalesce(c.seq, 0)
           ORDER BY o.org_id`,
          [consumer],
        )
      ).map((r) => r.org_id),
    );
  }
}
