import type { AuditDraft } from '../../domain/model.js';
import type { QueuedSet, SignalStream, SigningKey } from '../../domain/signals.js';
import { PROVIDER_SCOPE, type SignalStore, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { epochMs, streamNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** Shared Signals streams, SET signing keys and queued SETs. */
export class SqliteSignals implements SignalStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createSignalStream(stream: SignalStream, audit: AuditDraft): Promise<SignalStream> {
    return this.ctx.write(() => {
      if (stream.scope !== PROVIDER_SCOPE) this.ctx.assertOrg(stream.scope);
      try {
        this.ctx.stmt('INSERT INTO signal_streams (id, scope, version, data) VALUES (?, ?, ?, ?)').run(stream.id, stream.scope, stream.version, JSON.stringify(stream));
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'Shared Signals stream', stream.id);
      }
      this.ctx.appendTx(audit);
      return stream;
    });
  }

  async getSignalStream(id: string): Promise<SignalStream | undefined> {
    return this.ctx.run(() => this.#stream(id));
  }

  async listSignalStreams(scope?: string): Promise<SignalStream[]> {
    return this.ctx.run(() => {
      const rows =
        scope === undefined
          ? (this.ctx.stmt('SELECT data FROM signal_streams ORDER BY seq').all() as DataRow[])
          : (this.ctx.stmt('SELECT data FROM signal_streams WHERE scope = ? ORDER BY seq').all(scope) as DataRow[]);
      return rows.map((r) => parse<SignalStream>(r)!);
    });
  }

  async updateSignalStream(id: string, updater: Updater<SignalStream>, opts?: UpdateOptions): Promise<UpdateResult<SignalStream>> {
    return this.ctx.write(() => {
      const current = this.#stream(id);
      if (!current) throw streamNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE signal_streams SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }

  async deleteSignalStream(id: string, audit: AuditDraft): Promise<void> {
    this.ctx.write(() => {
      if (this.ctx.stmt('DELETE FROM signal_streams WHERE id = ?').run(id).changes === 0) throw streamNotFound(id);
      this.ctx.stmt('DELETE FROM signal_sets WHERE stream_id = ?').run(id);
      this.ctx.appendTx(audit);
    });
  }

  async addSigningKey(key: SigningKey, keepLive: number): Promise<SigningKey[]> {
    return this.ctx.write(() => {
      this.ctx.stmt('INSERT OR REPLACE INTO signal_keys (kid, created_at, data) VALUES (?, ?, ?)').run(key.kid, key.createdAt, JSON.stringify(key));
      const live = this.#keys();
      for (const old of live.slice(Math.max(1, keepLive))) this.ctx.stmt('DELETE FROM signal_keys WHERE kid = ?').run(old.kid);
      return live.slice(0, Math.max(1, keepLive));
    });
  }

  async listSigningKeys(): Promise<SigningKey[]> {
    return this.ctx.run(() => this.#keys());
  }

  async enqueueSet(set: QueuedSet): Promise<boolean> {
    return this.ctx.write(() => {
      const r = this.ctx
        .stmt('INSERT INTO signal_sets (stream_id, jti, status, next_attempt_ms, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream_id, jti) DO NOTHING')
        .run(set.streamId, set.jti, set.status, dueMs(set), JSON.stringify(set));
      return r.changes === 1;
    });
  }

  async saveSet(set: QueuedSet): Promise<void> {
    this.ctx.write(() => {
      this.ctx.stmt('UPDATE signal_sets SET status = ?, next_attempt_ms = ?, data = ? WHERE stream_id = ? AND jti = ?').run(set.status, dueMs(set), JSON.stringify(set), set.streamId, set.jti);
    });
  }

  async listPendingSets(streamId: string, limit: number): Promise<QueuedSet[]> {
    return this.ctx.run(() =>
      (this.ctx.stmt("SELECT data FROM signal_sets WHERE stream_id = ? AND status = 'pending' ORDER BY seq LIMIT ?").all(streamId, Math.max(0, Math.floor(limit))) as DataRow[]).map(
        (r) => parse<QueuedSet>(r)!,
      ),
    );
  }

  async listDueSets(now: string, limit: number): Promise<QueuedSet[]> {
    const nowMs = epochMs(now, 'now');
    return this.ctx.run(() =>
      (
        this.ctx
          .stmt("SELECT data FROM signal_sets WHERE status = 'pending' AND next_attempt_ms IS NOT NULL AND next_attempt_ms <= ? ORDER BY next_attempt_ms, seq LIMIT ?")
          .all(nowMs, Math.max(0, Math.floor(limit))) as DataRow[]
      ).map((r) => parse<QueuedSet>(r)!),
    );
  }

  async ackSets(streamId: string, jtis: readonly string[]): Promise<number> {
    if (jtis.length === 0) return 0;
    return this.ctx.write(() => {
      let n = 0;
      for (const jti of new Set(jtis)) {
        const set = parse<QueuedSet>(this.ctx.stmt("SELECT data FROM signal_sets WHERE stream_id = ? AND jti = ? AND status = 'pending'").get(streamId, jti) as DataRow | undefined);
        if (!set) continue;
        const { nextAttemptAt: _due, ...rest } = set;
        const done: QueuedSet = { ...rest, status: 'delivered', updatedAt: this.ctx.now().toISOString() };
        n += this.ctx.stmt("UPDATE signal_sets SET status = 'delivered', next_attempt_ms = NULL, data = ? WHERE stream_id = ? AND jti = ?").run(JSON.stringify(done), streamId, jti).changes;
      }
      return n;
    });
  }

  async forgetDoneSets(before: string): Promise<number> {
    const ms = epochMs(before, 'before');
    return this.ctx.write(() => {
      const rows = this.ctx.stmt("SELECT seq, data FROM signal_sets WHERE status != 'pending'").all() as (DataRow & { seq: number })[];
      let n = 0;
      for (const r of rows) if (epochMs(parse<QueuedSet>(r)!.updatedAt, 'updatedAt') < ms) n += this.ctx.stmt('DELETE FROM signal_sets WHERE seq = ?').run(r.seq).changes;
      return n;
    });
  }

  async countPendingSets(streamId: string): Promise<number> {
    return this.ctx.run(() => (this.ctx.stmt("SELECT count(*) AS n FROM signal_sets WHERE stream_id = ? AND status = 'pending'").get(streamId) as { n: number }).n);
  }

  #stream(id: string): SignalStream | undefined {
    return parse<SignalStream>(this.ctx.stmt('SELECT data FROM signal_streams WHERE id = ?').get(id) as DataRow | undefined);
  }

  #keys(): SigningKey[] {
    return (this.ctx.stmt('SELECT data FROM signal_keys ORDER BY created_at DESC, kid DESC').all() as DataRow[]).map((r) => parse<SigningKey>(r)!);
  }
}

const dueMs = (set: QueuedSet): number | null => (set.status === 'pending' && set.nextAttemptAt !== undefined ? epochMs(set.nextAttemptAt, 'nextAttemptAt') : null);
