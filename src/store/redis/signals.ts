import type { AuditDraft } from '../../domain/model.js';
import type { QueuedSet, SignalStream, SigningKey } from '../../domain/signals.js';
import { PROVIDER_SCOPE, type SignalStore, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { epochMs, streamNotFound } from '../shared/record-errors.js';
import { parseJson, RETRY, unexpectedReply, type RedisContext } from './context.js';
import { bestEffort } from './global-index.js';
import { readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound } from './writes.js';

/** How long a delivered or failed SET is kept (its jti guards against a repeated fan-out). */
const DONE_TTL_SECONDS = 7 * 24 * 3600;

/** How many due-index entries one read looks at. */
const DUE_BATCH = 100;

/**
 * Shared Signals streams, signing keys and queued SETs.
 *
 * A stream record lives under its scope's tag (so it changes atomically with that scope's audit
 * chain); `{signals}` maps its id to the scope and keeps the creation order across scopes, written
 * before the scope's script (indexConnection-3 and unindexConnection-2 keep that protocol for any
 * id -> scope index) and checked against the record on every read. A stream's SETs live under
 * `{ss:<id>}`: one record per jti and a queue-ordered ZSET. Due push SETs are found through the
 * global `{signals}` due index as webhook deliveries are (see webhooks.ts): entries are added before
 * a save, readers trust the record, and drop an entry only if its score is still the one they read.
 */
export class RedisSignals implements SignalStore {
  constructor(private readonly ctx: RedisContext) {}

  async createSignalStream(stream: SignalStream, audit: AuditDraft): Promise<SignalStream> {
    this.ctx.assertOneSlot(audit, stream.scope);
    const g = this.ctx.keys.signals;
    const index = await this.ctx.script('indexConnection', [g.ordinal, g.all, g.byId], [stream.id, stream.scope]);
    if (index[0] === 'id_taken') throw duplicateId('Shared Signals stream', stream.id);
    if (index[0] !== 'ok') throw unexpectedReply('indexConnection', index);
    const k = this.ctx.keys.forOrg(stream.scope);
    let refused = false;
    try {
      return await this.ctx.write(stream.scope, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const r = await this.ctx.script(
          'createStream',
          [...a.keys, k.org, k.signalStream(stream.id), k.signalStreams],
          [...a.args, stream.id, JSON.stringify(stream), Number(index[1]), stream.scope === PROVIDER_SCOPE ? '0' : '1'],
        );
        if (r[0] === 'exists') throw duplicateId('Shared Signals stream', stream.id);
        if (r[0] === 'org_not_found') {
          refused = true;
          throw orgNotFound(stream.scope);
        }
        return okOrRetry('createStream', r) === RETRY ? RETRY : stream;
      });
    } catch (err) {
      if (refused) await bestEffort(() => this.ctx.script('unindexConnection', [g.all, g.byId], [stream.id, stream.scope]));
      throw err;
    }
  }

  async getSignalStream(id: string): Promise<SignalStream | undefined> {
    const scope = await this.ctx.call((c) => c.hget(this.ctx.keys.signals.byId, id));
    return scope === null ? undefined : this.#read(scope, id);
  }

  async listSignalStreams(scope?: string): Promise<SignalStream[]> {
    if (scope !== undefined) {
      const k = this.ctx.keys.forOrg(scope);
      const ids = await this.ctx.call((c) => c.zrange(k.signalStreams, '0', '-1'));
      return (await readRecords<SignalStream>(this.ctx, ids.map((id) => k.signalStream(id)))).filter((s) => s.scope === scope);
    }
    const g = this.ctx.keys.signals;
    const ids = await this.ctx.call((c) => c.zrange(g.all, '0', '-1'));
    if (ids.length === 0) return [];
    const scopes = await this.ctx.call((c) => c.hmget(g.byId, ...ids));
    const streams = await Promise.all(ids.map((id, i) => (scopes[i] ? this.#read(scopes[i], id) : undefined)));
    return streams.filter((s): s is SignalStream => s !== undefined);
  }

  async updateSignalStream(id: string, updater: Updater<SignalStream>, opts?: UpdateOptions): Promise<UpdateResult<SignalStream>> {
    const scope = await this.#scopeOf(id);
    if (scope === undefined) throw streamNotFound(id);
    const key = this.ctx.keys.forOrg(scope).signalStream(id);
    return casUpdate(this.ctx, {
      lockKey: scope,
      recordKey: key,
      scope,
      notFound: () => streamNotFound(id),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }

  async deleteSignalStream(id: string, audit: AuditDraft): Promise<void> {
    const scope = await this.#scopeOf(id);
    if (scope === undefined) throw streamNotFound(id);
    this.ctx.assertOneSlot(audit, scope);
    const k = this.ctx.keys.forOrg(scope);
    await this.ctx.write(scope, async () => {
      const raw = await this.ctx.call((c) => c.get(k.signalStream(id)));
      if (raw === null) throw streamNotFound(id);
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('deleteRecord', [...a.keys, k.signalStream(id), k.signalStreams], [...a.args, id, raw]);
      return okOrRetry('deleteRecord', r) === RETRY ? RETRY : undefined;
    });
    // The queue goes after the stream: a reader of a leftover SET finds no stream and drops it.
    const s = this.ctx.keys.signals.forStream(id);
    const jtis = await this.ctx.call((c) => c.zrange(s.queue, '0', '-1'));
    await bestEffort(() => this.ctx.call((c) => c.del(s.queue, s.ordinal, ...jtis.map((j) => s.set(j)))));
    await bestEffort(() => this.ctx.call((c) => c.zrem(this.ctx.keys.signals.all, id)));
  }

  async addSigningKey(key: SigningKey, keepLive: number): Promise<SigningKey[]> {
    const g = this.ctx.keys.signals;
    await this.ctx.call((c) => c.hset(g.keys, key.kid, JSON.stringify(key)));
    const live = await this.listSigningKeys();
    const keep = Math.max(1, keepLive);
    const old = live.slice(keep).map((k) => k.kid);
    if (old.length > 0) await this.ctx.call((c) => c.hdel(g.keys, ...old));
    return live.slice(0, keep);
  }

  async listSigningKeys(): Promise<SigningKey[]> {
    const all = await this.ctx.call((c) => c.hvals(this.ctx.keys.signals.keys));
    return all
      .map((raw) => parseJson<SigningKey>(raw)!)
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.kid < b.kid ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
  }

  async enqueueSet(set: QueuedSet): Promise<boolean> {
    const due = dueMs(set);
    if (due !== undefined) await this.ctx.call((c) => c.zadd(this.ctx.keys.signals.due, due, dueEntry(set)));
    const s = this.ctx.keys.signals.forStream(set.streamId);
    const r = await this.ctx.script('enqueueSet', [s.set(set.jti), s.queue, s.ordinal], [set.jti, JSON.stringify(set)]);
    if (r[0] !== 'ok') throw unexpectedReply('enqueueSet', r);
    return Number(r[1]) === 1;
  }

  async saveSet(set: QueuedSet): Promise<void> {
    const due = dueMs(set);
    if (due !== undefined) await this.ctx.call((c) => c.zadd(this.ctx.keys.signals.due, due, dueEntry(set)));
    const key = this.ctx.keys.signals.forStream(set.streamId).set(set.jti);
    if (set.status === 'pending') await this.ctx.call((c) => c.set(key, JSON.stringify(set), 'XX'));
    else await this.ctx.call((c) => c.set(key, JSON.stringify(set), 'EX', DONE_TTL_SECONDS, 'XX'));
  }

  async listPendingSets(streamId: string, limit: number): Promise<QueuedSet[]> {
    const want = Math.max(0, Math.floor(limit));
    const s = this.ctx.keys.signals.forStream(streamId);
    const found: QueuedSet[] = [];
    for (let offset = 0; found.length < want; offset += DUE_BATCH) {
      const jtis = await this.ctx.call((c) => c.zrange(s.queue, String(offset), String(offset + DUE_BATCH - 1)));
      const sets = await readRecords<QueuedSet>(this.ctx, jtis.map((j) => s.set(j)));
      found.push(...sets.filter((x) => x.status === 'pending'));
      if (jtis.length < DUE_BATCH) break;
    }
    return found.slice(0, want);
  }

  async listDueSets(now: string, limit: number): Promise<QueuedSet[]> {
    const nowMs = epochMs(now, 'now');
    const want = Math.max(0, Math.floor(limit));
    const index = this.ctx.keys.signals.due;
    const found: { set: QueuedSet; dueMs: number }[] = [];
    const seen = new Set<string>();
    let offset = 0;
    while (found.length < want) {
      const flat = await this.ctx.call((c) => c.zrangebyscore(index, '-inf', nowMs, 'WITHSCORES', 'LIMIT', offset, DUE_BATCH));
      const entries: { entry: string; score: number }[] = [];
      for (let i = 0; i < flat.length; i += 2) entries.push({ entry: flat[i]!, score: Number(flat[i + 1]) });
      let dropped = 0;
      for (const { entry, score } of entries) {
        if (seen.has(entry)) continue;
        seen.add(entry);
        const [streamId, jti] = parseJson<[string, string]>(entry) ?? [];
        const set = streamId === undefined || jti === undefined ? undefined : parseJson<QueuedSet>(await this.ctx.call((c) => c.get(this.ctx.keys.signals.forStream(streamId).set(jti))));
        const due = set ? dueMs(set) : undefined;
        if (set === undefined || due === undefined) {
          // Acknowledged, delivered, failed or deleted with its stream: the entry has nothing left to do.
          const r = await this.ctx.script('zremIfScore', [index], [entry, score]);
          dropped += Number(r[1]);
        } else if (due <= nowMs) {
          found.push({ set, dueMs: due });
        }
      }
      if (entries.length < DUE_BATCH) break;
      offset += entries.length - dropped;
    }
    return found
      .sort((a, b) => a.dueMs - b.dueMs)
      .slice(0, want)
      .map((f) => f.set);
  }

  async ackSets(streamId: string, jtis: readonly string[]): Promise<number> {
    const unique = [...new Set(jtis)];
    if (unique.length === 0) return 0;
    const s = this.ctx.keys.signals.forStream(streamId);
    const current = await readRecords<QueuedSet>(this.ctx, unique.map((j) => s.set(j)));
    const pending = current.filter((x) => x.status === 'pending');
    if (pending.length === 0) return 0;
    const at = this.ctx.now().toISOString();
    await this.ctx.snapshot((m) => {
      m.zrem(s.queue, ...pending.map((x) => x.jti));
      for (const x of pending) {
        const { nextAttemptAt: _due, ...rest } = x;
        m.set(s.set(x.jti), JSON.stringify({ ...rest, status: 'delivered', updatedAt: at } satisfies QueuedSet), 'EX', DONE_TTL_SECONDS);
      }
      return m;
    });
    return pending.length;
  }

  /** Done SETs expire by themselves (DONE_TTL_SECONDS). */
  async forgetDoneSets(_before: string): Promise<number> {
    return 0;
  }

  async countPendingSets(streamId: string): Promise<number> {
    return (await this.listPendingSets(streamId, Number.MAX_SAFE_INTEGER)).length;
  }

  async #scopeOf(id: string): Promise<string | undefined> {
    return (await this.ctx.call((c) => c.hget(this.ctx.keys.signals.byId, id))) ?? undefined;
  }

  async #read(scope: string, id: string): Promise<SignalStream | undefined> {
    const s = parseJson<SignalStream>(await this.ctx.call((c) => c.get(this.ctx.keys.forOrg(scope).signalStream(id))));
    return s?.id === id && s.scope === scope ? s : undefined;
  }
}

const dueEntry = (set: QueuedSet) => JSON.stringify([set.streamId, set.jti]);
const dueMs = (set: QueuedSet): number | undefined => (set.status === 'pending' && set.nextAttemptAt !== undefined ? epochMs(set.nextAttemptAt, 'nextAttemptAt') : undefined);
