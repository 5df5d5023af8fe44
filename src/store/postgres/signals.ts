import type { AuditDraft } from '../../domain/model.js';
import type { QueuedSet, SignalStream, SigningKey } from '../../domain/signals.js';
import { PROVIDER_SCOPE, type SignalStore, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { epochMs, streamNotFound } from '../shared/record-errors.js';
import { lockKey } from './connect.js';
import { parse, type DataRow, type PostgresContext, type Sql, type Tx } from './context.js';

/**
 * Shared Signals streams (audited in their scope: an org or the provider), SET signing keys and
 * queued SETs (bookkeeping). A stream is found by id alone: its scope is read first, then the
 * scope's write lock taken and the row read again FOR UPDATE, so the lock still comes before any
 * row lock. Adding a key holds a lock of its own, so racing replicas keep exactly the newest N.
 */
export class PostgresSignals implements SignalStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createSignalStream(stream: SignalStream, audit: AuditDraft): Promise<SignalStream> {
    return this.ctx.write(stream.scope, async (tx) => {
      if (stream.scope !== PROVIDER_SCOPE) await this.ctx.assertOrg(tx, stream.scope);
      await tx.exec('INSERT INTO signal_streams (id, scope, version, data) VALUES ($1, $2, $3, $4)', [stream.id, stream.scope, stream.version, JSON.stringify(stream)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'Shared Signals stream', stream.id);
      });
      await this.ctx.appendTx(tx, audit);
      return stream;
    });
  }

  async getSignalStream(id: string): Promise<SignalStream | undefined> {
    return this.ctx.read(async (sql) => parse<SignalStream>(await sql.one<DataRow>('SELECT data FROM signal_streams WHERE id = $1', [id])));
  }

  async listSignalStreams(scope?: string): Promise<SignalStream[]> {
    return this.ctx.read(async (sql) => {
      const rows =
        scope === undefined
          ? await sql.rows<DataRow>('SELECT data FROM signal_streams ORDER BY seq')
          : await sql.rows<DataRow>('SELECT data FROM signal_streams WHERE scope = $1 ORDER BY seq', [scope]);
      return rows.map((r) => parse<SignalStream>(r)!);
    });
  }

  async updateSignalStream(id: string, updater: Updater<SignalStream>, opts?: UpdateOptions): Promise<UpdateResult<SignalStream>> {
    return this.#inScope(id, async (tx, scope) => {
      const current = parse<SignalStream>(await tx.one<DataRow>('SELECT data FROM signal_streams WHERE id = $1 AND scope = $2 FOR UPDATE', [id, scope]));
      if (!current) throw streamNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE signal_streams SET version = $1, data = $2 WHERE id = $3', [next.version, JSON.stringify(next), id]);
      });
    });
  }

  async deleteSignalStream(id: string, audit: AuditDraft): Promise<void> {
    await this.#inScope(id, async (tx, scope) => {
      if ((await tx.exec('DELETE FROM signal_streams WHERE id = $1 AND scope = $2', [id, scope])) === 0) throw streamNotFound(id);
      await tx.exec('DELETE FROM signal_sets WHERE stream_id = $1', [id]);
      await this.ctx.appendTx(tx, audit);
    });
  }

  async addSigningKey(key: SigningKey, keepLive: number): Promise<SigningKey[]> {
    const keep = Math.max(1, Math.floor(keepLive));
    return this.ctx.write(null, async (tx) => {
      await tx.rows(`SELECT pg_advisory_xact_lock(${lockKey(this.ctx.schema, 'signal-keys')})`);
      await tx.exec('INSERT INTO signal_keys (kid, created_at, data) VALUES ($1, $2, $3) ON CONFLICT (kid) DO UPDATE SET created_at = excluded.created_at, data = excluded.data', [
        key.kid,
        key.createdAt,
        JSON.stringify(key),
      ]);
      const live = await this.#keys(tx);
      const old = live.slice(keep).map((k) => k.kid);
      if (old.length > 0) await tx.exec('DELETE FROM signal_keys WHERE kid = ANY($1::text[])', [old]);
      return live.slice(0, keep);
    });
  }

  async listSigningKeys(): Promise<SigningKey[]> {
    return this.ctx.read((sql) => this.#keys(sql));
  }

  async enqueueSet(set: QueuedSet): Promise<boolean> {
    const n = await this.ctx.read((sql) =>
      sql.exec('INSERT INTO signal_sets (stream_id, jti, status, next_attempt_ms, updated_ms, data) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (stream_id, jti) DO NOTHING', [
        set.streamId,
        set.jti,
        set.status,
        dueMs(set),
        epochMs(set.updatedAt, 'updatedAt'),
        JSON.stringify(set),
      ]),
    );
    return n === 1;
  }

  async saveSet(set: QueuedSet): Promise<void> {
    await this.ctx.read((sql) =>
      sql.exec('UPDATE signal_sets SET status = $1, next_attempt_ms = $2, updated_ms = $3, data = $4 WHERE stream_id = $5 AND jti = $6', [
        set.status,
        dueMs(set),
        epochMs(set.updatedAt, 'updatedAt'),
        JSON.stringify(set),
        set.streamId,
        set.jti,
      ]),
    );
  }

  async listPendingSets(streamId: string, limit: number): Promise<QueuedSet[]> {
    return this.ctx.read(async (sql) =>
      (await sql.rows<DataRow>("SELECT data FROM signal_sets WHERE stream_id = $1 AND status = 'pending' ORDER BY seq LIMIT $2", [streamId, Math.max(0, Math.floor(limit))])).map(
        (r) => parse<QueuedSet>(r)!,
      ),
    );
  }

  async listDueSets(now: string, limit: number): Promise<QueuedSet[]> {
    const nowMs = epochMs(now, 'now');
    return this.ctx.read(async (sql) =>
      (
        await sql.rows<DataRow>("SELECT data FROM signal_sets WHERE status = 'pending' AND next_attempt_ms IS NOT NULL AND next_attempt_ms <= $1 ORDER BY next_attempt_ms, seq LIMIT $2", [
          nowMs,
          Math.max(0, Math.floor(limit)),
        ])
      ).map((r) => parse<QueuedSet>(r)!),
    );
  }

  /**
   * Pending rows are locked before they are marked: of two replicas acknowledging one SET, the
   * second waits, finds it no longer pending and counts nothing.
   */
  async ackSets(streamId: string, jtis: readonly string[]): Promise<number> {
    if (jtis.length === 0) return 0;
    const now = this.ctx.now();
    return this.ctx.write(null, async (tx) => {
      const rows = await tx.rows<DataRow>("SELECT data FROM signal_sets WHERE stream_id = $1 AND jti = ANY($2::text[]) AND status = 'pending' FOR UPDATE", [streamId, [...new Set(jtis)]]);
      if (rows.length === 0) return 0;
      const done = rows.map((r) => {
        const { nextAttemptAt: _due, ...rest } = parse<QueuedSet>(r)!;
        return { ...rest, status: 'delivered', updatedAt: now.toISOString() } satisfies QueuedSet;
      });
      return tx.exec(
        `UPDATE signal_sets AS s SET status = 'delivered', next_attempt_ms = NULL, updated_ms = $2, data = u.d
         FROM unnest($3::text[], $4::text[]) AS u(j, d) WHERE s.stream_id = $1 AND s.jti = u.j`,
        [streamId, now.getTime(), done.map((d) => d.jti), done.map((d) => JSON.stringify(d))],
      );
    });
  }

  async forgetDoneSets(before: string): Promise<number> {
    const ms = epochMs(before, 'before');
    return this.ctx.read((sql) => sql.exec("DELETE FROM signal_sets WHERE status <> 'pending' AND updated_ms < $1", [ms]));
  }

  async countPendingSets(streamId: string): Promise<number> {
    return this.ctx.read(async (sql) => (await sql.one<{ n: number }>("SELECT count(*)::int AS n FROM signal_sets WHERE stream_id = $1 AND status = 'pending'", [streamId]))!.n);
  }

  /** Runs fn under the write lock of the stream's scope; `signals.stream_not_found` when there is no such stream. */
  async #inScope<T>(id: string, fn: (tx: Tx, scope: string) => Promise<T>): Promise<T> {
    const row = await this.ctx.read((sql) => sql.one<{ scope: string }>('SELECT scope FROM signal_streams WHERE id = $1', [id]));
    if (!row) throw streamNotFound(id);
    return this.ctx.write(row.scope, (tx) => fn(tx, row.scope));
  }

  async #keys(sql: Sql): Promise<SigningKey[]> {
    return (await sql.rows<DataRow>('SELECT data FROM signal_keys ORDER BY created_at DESC, kid DESC')).map((r) => parse<SigningKey>(r)!);
  }
}

const dueMs = (set: QueuedSet): number | null => (set.status === 'pending' && set.nextAttemptAt !== undefined ? epochMs(set.nextAttemptAt, 'nextAttemptAt') : null);
