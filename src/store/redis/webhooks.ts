import { isIdsyncError } from '../../domain/errors.js';
import type { AuditDraft, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import { PROVIDER_SCOPE, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import type { WebhookStore } from '../../ports/store.js';
import { epochMs, webhookNotFound } from '../shared/record-errors.js';
import { parseJson, RETRY, type RedisContext } from './context.js';
import { bestEffort } from './global-index.js';
import type { OrgKeys } from './keys.js';
import { pageOfSortedSet, readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound } from './writes.js';

/** How many due-index entries one read looks at. */
const DUE_BATCH = 100;

/**
 * Webhook endpoints, deliveries and outbox cursors.
 *
 * Due deliveries of every org are found through one global sorted set (`{webhooks}:due`, member
 * `[orgId, id]`, score = next attempt in epoch ms). A save that leaves a delivery due adds its entry
 * before the org's script (and again after it, in case a reader dropped it in between); entries are
 * never removed by writers. A reader trusts the record, not the entry: it returns a delivery only
 * when the record is pending and due, and drops an entry whose record is no longer waiting, but only
 * if the entry's score is still the one it read (a writer that rescheduled it changed the score).
 * Entries whose record does not exist (a crash between the two steps) are skipped, never dropped,
 * because the record may be about to be written.
 *
 * The operator's endpoints and their deliveries live in the provider scope (`{o:provider}`, beside
 * the provider audit chain), which has no org record: the scripts skip that check for it.
 */
export class RedisWebhooks implements WebhookStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createWebhook(ep: WebhookEndpoint, audit: AuditDraft): Promise<WebhookEndpoint> {
    this.ctx.assertOneSlot(audit, ep.orgId);
    const k = this.#k(ep.orgId);
    return this.ctx.write(ep.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('createRecord', [...a.keys, k.org, k.webhook(ep.id), k.webhooks, k.ordinal], [...a.args, ep.id, JSON.stringify(ep), '', mustExist(ep.orgId)]);
      if (r[0] === 'exists') throw duplicateId('webhook endpoint', ep.id);
      if (r[0] === 'org_not_found') throw orgNotFound(ep.orgId);
      return okOrRetry('createRecord', r) === RETRY ? RETRY : ep;
    });
  }

  async getWebhook(orgId: string, id: string): Promise<WebhookEndpoint | undefined> {
    return parseJson<WebhookEndpoint>(await this.ctx.call((c) => c.get(this.#k(orgId).webhook(id))));
  }

  async listWebhooks(orgId: string): Promise<WebhookEndpoint[]> {
    const k = this.#k(orgId);
    const ids = await this.ctx.call((c) => c.zrange(k.webhooks, '0', '-1'));
    return readRecords<WebhookEndpoint>(this.ctx, ids.map((id) => k.webhook(id)));
  }

  async updateWebhook(orgId: string, id: string, updater: Updater<WebhookEndpoint>, opts?: UpdateOptions): Promise<UpdateResult<WebhookEndpoint>> {
    const key = this.#k(orgId).webhook(id);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: key,
      scope: orgId,
      notFound: () => webhookNotFound(id),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }

  async deleteWebhook(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.#k(orgId);
    await this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(k.webhook(id)));
      if (raw === null) throw webhookNotFound(id);
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('deleteRecord', [...a.keys, k.webhook(id), k.webhooks], [...a.args, id, raw]);
      return okOrRetry('deleteRecord', r) === RETRY ? RETRY : undefined;
    });
  }

  // ---- deliveries ----

  async saveDelivery(d: WebhookDelivery): Promise<void> {
    const due = this.ctx.keys.webhooks.due;
    const dueMs = d.status === 'pending' && d.nextAttemptAt !== undefined ? epochMs(d.nextAttemptAt, 'nextAttemptAt') : undefined;
    const entry = dueEntry(d.orgId, d.id);
    if (dueMs !== undefined) await this.ctx.call((c) => c.zadd(due, dueMs, entry));
    const k = this.#k(d.orgId);
    try {
      await this.ctx.write(d.orgId, async () => {
        const raw = await this.ctx.call((c) => c.get(k.delivery(d.id)));
        const was = parseJson<WebhookDelivery>(raw) ?? d;
        const keys = [
          k.org,
          k.delivery(d.id),
          k.deliveries,
          k.ordinal,
          ...indexKeys(k, d.endpointId, d.status),
          ...indexKeys(k, was.endpointId, was.status),
        ];
        const r = await this.ctx.script('saveDelivery', keys, [d.id, raw ?? '', JSON.stringify(d), mustExist(d.orgId)]);
        if (r[0] === 'org_not_found') throw orgNotFound(d.orgId);
        return okOrRetry('saveDelivery', r) === RETRY ? RETRY : undefined;
      });
    } catch (err) {
      // No such org: nothing was written, so the entry added above has no record, now or later.
      if (dueMs !== undefined && isIdsyncError(err, 'org.not_found')) {
        await bestEffort(() => this.ctx.script('zremIfScore', [due], [entry, dueMs]));
      }
      throw err;
    }
    if (dueMs !== undefined) await this.ctx.call((c) => c.zadd(due, dueMs, entry));
  }

  async getDelivery(orgId: string, id: string): Promise<WebhookDelivery | undefined> {
    return parseJson<WebhookDelivery>(await this.ctx.call((c) => c.get(this.#k(orgId).delivery(id))));
  }

  async listDeliveries(orgId: string, query?: PageRequest & { endpointId?: string; status?: DeliveryStatus }): Promise<Page<WebhookDelivery>> {
    const k = this.#k(orgId);
    const { endpointId, status } = query ?? {};
    const set =
      endpointId !== undefined
        ? status !== undefined
          ? k.deliveriesOfByStatus(endpointId, status)
          : k.deliveriesOf(endpointId)
        : status !== undefined
          ? k.deliveriesByStatus(status)
          : k.deliveries;
    const { items, total } = await pageOfSortedSet(this.ctx, set, query, 'desc');
    return { items: await readRecords<WebhookDelivery>(this.ctx, items.map((id) => k.delivery(id))), total };
  }

  async listDueDeliveries(now: string, limit: number): Promise<WebhookDelivery[]> {
    const nowMs = epochMs(now, 'now');
    const want = Math.max(0, Math.floor(limit));
    const index = this.ctx.keys.webhooks.due;
    const found: { d: WebhookDelivery; dueMs: number }[] = [];
    const seen = new Set<string>();
    let offset = 0;
    while (found.length < want) {
      const flat = await this.ctx.call((c) => c.zrangebyscore(index, '-inf', nowMs, 'WITHSCORES', 'LIMIT', offset, DUE_BATCH));
      const entries: { entry: string; score: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) entries.push({ entry: flat[i]!, score: Number(flat[i + 1]) });
      const records = await Promise.all(entries.map(({ entry }) => this.#readDue(entry)));
      let dropped = 0;
      for (const [i, { entry, score }] of entries.entries()) {
        const d = records[i];
        if (d === undefined || seen.has(entry)) continue;
        seen.add(entry);
        const dueMs = d.status === 'pending' && d.nextAttemptAt !== undefined ? epochMs(d.nextAttemptAt, 'nextAttemptAt') : undefined;
        if (dueMs === undefined) {
          const r = await this.ctx.script('zremIfScore', [index], [entry, score]);
          dropped += Number(r[1]);
        } else if (dueMs <= nowMs) {
          found.push({ d, dueMs });
        }
      }
      if (entries.length < DUE_BATCH) break;
      offset += entries.length - dropped;
    }
    return found
      .sort((a, b) => a.dueMs - b.dueMs)
      .slice(0, want)
      .map((f) => f.d);
  }

  async #readDue(entry: string): Promise<WebhookDelivery | undefined> {
    const [orgId, id] = parseJson<[string, string]>(entry) ?? [];
    if (orgId === undefined || id === undefined) return undefined;
    const d = parseJson<WebhookDelivery>(await this.ctx.call((c) => c.get(this.#k(orgId).delivery(id))));
    return d?.orgId === orgId && d.id === id ? d : undefined;
  }

  // ---- outbox cursors ----

  async getOutboxCursor(orgId: string, consumer: string): Promise<number> {
    return Number((await this.ctx.call((c) => c.hget(this.#k(orgId).outboxCursors, consumer))) ?? 0);
  }

  async setOutboxCursor(orgId: string, consumer: string, seq: number): Promise<void> {
    await this.ctx.call((c) => c.hset(this.#k(orgId).outboxCursors, consumer, seq));
  }

  /** Reads every scope with an outbox (the `{outbox}` index), then each one's head and cursor in one snapshot. */
  async listOrgsWithOutboxBacklog(consumer: string): Promise<string[]> {
    const scopes = await this.ctx.call((c) => c.smembers(this.ctx.keys.outbox.scopes));
    const heads = await Promise.all(
      scopes.map(async (scope) => {
        const k = this.#k(scope);
        const [seq, cursor] = (await this.ctx.snapshot((m) => m.hget(k.auditHead, 'seq').hget(k.outboxCursors, consumer))) as (string | null)[];
        return Number(seq ?? 0) > Number(cursor ?? 0);
      }),
    );
    return scopes.filter((_, i) => heads[i]).sort();
  }
}

const dueEntry = (orgId: string, id: string) => JSON.stringify([orgId, id]);

/** The scripts' org-exists flag: the provider scope (the operator's endpoints and deliveries) has no org record. */
const mustExist = (scope: string) => (scope === PROVIDER_SCOPE ? '0' : '1');

/** The list indexes a delivery is in: by status, by endpoint, by both. */
function indexKeys(k: OrgKeys, endpointId: string, status: DeliveryStatus): string[] {
  return [k.deliveriesByStatus(status), k.deliveriesOf(endpointId), k.deliveriesOfByStatus(endpointId, status)];
}
