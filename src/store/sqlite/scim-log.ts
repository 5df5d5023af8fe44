import { IdsyncError } from '../../domain/errors.js';
import type { ScimLogEntry, ScimLogPage, ScimLogQuery, StoredScimLogEntry } from '../../domain/scim-log.js';
import type { ScimLogStore } from '../../ports/store.js';
import Database from 'better-sqlite3';
import type { SqliteContext } from './context.js';
import { SqliteConnection } from './connection.js';
import { mapOpenError } from './open.js';
import { SCIM_LOG_TABLE, scimLogPath } from './scim-log-schema.js';
import { ScimLogThread } from './scim-log-thread.js';

/** Rows one retention statement deletes: each batch is its own short transaction, so SCIM writes are not held up behind a large prune. */
const PRUNE_BATCH = 5000;

/**
 * The SCIM request log in one table of a file of its own (scim-log-schema.ts), reached through a
 * connection of its own; the cursor is the row's seq. A file's entries are appended by a writer
 * thread (scim-log-thread.ts); a store in memory keeps its log in memory and writes it here.
 */
export class SqliteScimLog implements ScimLogStore {
  private readonly path: string;
  private readonly thread: ScimLogThread | undefined;
  private conn: SqliteConnection | undefined;

  constructor(private readonly ctx: SqliteContext) {
    this.path = scimLogPath(ctx.path);
    // Opened (and its table made) with the store, so the writer thread finds the table in place.
    this.conn = this.open();
    this.thread = ctx.path === ':memory:' ? undefined : new ScimLogThread(this.path, ctx.busyTimeoutMs);
  }

  /** On disk the count bound waits for pruneScimLog: trimming here would cost an index walk of maxPerOrg rows per batch. */
  async appendScimLog(entries: readonly ScimLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    if (this.thread) return this.thread.append(entries);
    this.log.write(() => {
      const insert = this.log.stmt('INSERT INTO scim_log (org_id, at_ms, method, status, resource_type, data) VALUES (?, ?, ?, ?, ?, ?)');
      for (const e of entries) insert.run(e.orgId, Date.parse(e.at), e.method, e.status, e.resource?.type ?? null, JSON.stringify(e));
    });
  }

  /** The org's entries, gone with the org (its purge). */
  async dropScimLogOf(orgId: string): Promise<void> {
    this.log.write(() => this.log.stmt('DELETE FROM scim_log WHERE org_id = ?').run(orgId));
  }

  /** Stops the writer thread once its batches are written, and closes the log's connection (the store is closing). */
  async closeScimLog(): Promise<void> {
    await this.thread?.close();
    this.conn?.close();
    this.conn = undefined;
  }

  async listScimLog(orgId: string, q: ScimLogQuery): Promise<ScimLogPage> {
    const where = ['org_id = ?'];
    const args: (string | number)[] = [orgId];
    if (q.before !== undefined) {
      if (!/^\d{1,15}$/.test(q.before)) throw new IdsyncError('request.invalid', `SCIM log cursor ${JSON.stringify(q.before)} is not one this store issued`);
      where.push('seq < ?');
      args.push(Number(q.before));
    }
    if (q.since) where.push('at_ms >= ?'), args.push(q.since.getTime());
    if (q.status) where.push('status BETWEEN ? AND ?'), args.push(q.status.from, q.status.to);
    if (q.method) where.push('method = ?'), args.push(q.method.toUpperCase());
    if (q.resourceType) where.push('resource_type = ?'), args.push(q.resourceType);
    // One row more than asked says whether an older page exists.
    const rows = this.log.run(
      () => this.log.stmt(`SELECT seq, data FROM scim_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`).all(...args, q.limit + 1) as { seq: number; data: string }[],
    );
    const items: StoredScimLogEntry[] = rows.slice(0, q.limit).map((r) => ({ ...(JSON.parse(r.data) as ScimLogEntry), id: String(r.seq) }));
    return { items, next: rows.length > q.limit ? items.at(-1)!.id : null };
  }

  async pruneScimLog(opts: { before: Date; maxPerOrg: number }): Promise<number> {
    let dropped = 0;
    const cutoff = opts.before.getTime();
    for (;;) {
      const n = this.log.write(() => this.log.stmt('DELETE FROM scim_log WHERE seq IN (SELECT seq FROM scim_log WHERE at_ms < ? LIMIT ?)').run(cutoff, PRUNE_BATCH).changes);
      dropped += n;
      if (n < PRUNE_BATCH) break;
    }
    const over = this.log.run(() => this.log.stmt('SELECT org_id FROM scim_log GROUP BY org_id HAVING COUNT(*) > ?').all(opts.maxPerOrg) as { org_id: string }[]);
    for (const { org_id: orgId } of over) {
      dropped += this.log.write(() => {
        if (opts.maxPerOrg <= 0) return this.log.stmt('DELETE FROM scim_log WHERE org_id = ?').run(orgId).changes;
        const keep = this.log.stmt('SELECT seq FROM scim_log WHERE org_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?').get(orgId, opts.maxPerOrg - 1) as { seq: number } | undefined;
        if (!keep) return 0;
        return this.log.stmt('DELETE FROM scim_log WHERE org_id = ? AND seq < ?').run(orgId, keep.seq).changes;
      });
    }
    return dropped;
  }

  /** The log's connection, opened again if the store was closed and is used once more. */
  private get log(): SqliteConnection {
    this.conn ??= this.open();
    return this.conn;
  }

  private open(): SqliteConnection {
    const db = new Database(this.path, { timeout: this.ctx.busyTimeoutMs });
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(SCIM_LOG_TABLE());
    } catch (err) {
      db.close();
      throw mapOpenError(err, this.path);
    }
    return new SqliteConnection(db, this.path);
  }
}
