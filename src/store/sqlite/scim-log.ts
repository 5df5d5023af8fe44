import { matchesScimLogFilter, type ScimLogEntry, type ScimLogPage, type ScimLogQuery, type StoredScimLogEntry } from '../../domain/scim-log.js';
import type { ScimLogStore } from '../../ports/store.js';
import Database from 'better-sqlite3';
import type { SqliteContext } from './context.js';
import { SqliteConnection } from './connection.js';
import { mapOpenError } from './open.js';
import { entryId, entryOfSlot, pageOfSlots, pagesOf, parseCursor, slotOlderThan, slotsOfPage, statusClasses, statusMaskOf, timeBounds, type StoredSlot } from './scim-log-pages.js';
import { INSERT_PAGE, ROWS_TO_PAGES, SCIM_LOG_PAGES, scimLogPath } from './scim-log-schema.js';
import { ScimLogThread } from './scim-log-thread.js';

/** Pages one retention statement deletes: each batch is its own short transaction, so the writer thread is not held up behind a large prune. */
const PRUNE_BATCH = 500;
/** Pages a listing reads at a time while it fills its page of entries. */
const READ_BATCH = 20;
const DELETE_PAGE = 'DELETE FROM scim_log_pages WHERE seq = ?';

type PageRow = { seq: number; entries: string };

/**
 * The SCIM request log in pages (scim-log-schema.ts SCIM_LOG_PAGES: one row per org and appended
 * batch) in a file of its own, reached through a connection of its own; an entry's id is its page
 * and slot (scim-log-pages.ts). A file's pages are inserted by a writer thread (scim-log-thread.ts);
 * a store in memory keeps its log in memory and writes it here.
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

  /** On disk the count bound waits for pruneScimLog: trimming here would cost a walk of the org's pages per batch. */
  async appendScimLog(entries: readonly ScimLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const pages = pagesOf(entries);
    if (this.thread) return this.thread.append(pages);
    this.log.write(() => {
      const insert = this.log.stmt(INSERT_PAGE);
      for (const p of pages) insert.run(...p);
    });
  }

  /** The org's entries, gone with the org (its purge). */
  async dropScimLogOf(orgId: string): Promise<void> {
    this.log.write(() => this.log.stmt('DELETE FROM scim_log_pages WHERE org_id = ?').run(orgId));
  }

  /** Stops the writer thread once its batches are written, and closes the log's connection (the store is closing). */
  async closeScimLog(): Promise<void> {
    await this.thread?.close();
    this.conn?.close();
    this.conn = undefined;
  }

  /**
   * Newest first: pages of the org from the cursor's down, entries of each from its last slot down.
   * The time and status conditions skip whole pages in SQL (a page's bounds and status classes);
   * every condition is then checked on each entry.
   */
  async listScimLog(orgId: string, q: ScimLogQuery): Promise<ScimLogPage> {
    const cursor = q.before === undefined ? undefined : parseCursor(q.before);
    const where = ['org_id = ?'];
    const args: (string | number)[] = [orgId];
    if (q.since) where.push('max_at_ms >= ?'), args.push(q.since.getTime());
    if (q.status) where.push('(statuses & ?) <> 0'), args.push(statusMaskOf(q.status));
    // The last parameter: the newest page still to read.
    const sql = `SELECT seq, entries FROM scim_log_pages WHERE ${where.join(' AND ')} AND seq <= ? ORDER BY seq DESC LIMIT ${READ_BATCH}`;
    // One entry more than asked says whether an older page exists.
    const items: StoredScimLogEntry[] = [];
    let below = cursor ? cursor.seq : Number.MAX_SAFE_INTEGER;
    for (;;) {
      const rows = this.log.run(() => this.log.stmt(sql).all(...args, below) as PageRow[]);
      for (const row of rows) {
        const slots = slotsOfPage(row.entries);
        const top = cursor && row.seq === cursor.seq ? Math.min(cursor.slot, slots.length) : slots.length;
        for (let slot = top - 1; slot >= 0; slot--) {
          const stored = slots[slot];
          if (!stored) continue;
          const e = entryOfSlot(stored, orgId);
          if (!matchesScimLogFilter(e, q)) continue;
          items.push({ ...e, id: entryId(row.seq, slot) });
          if (items.length > q.limit) return { items: items.slice(0, q.limit), next: items[q.limit - 1]!.id };
        }
      }
      if (rows.length < READ_BATCH) return { items, next: null };
      below = rows.at(-1)!.seq - 1;
    }
  }

  async pruneScimLog(opts: { before: Date; maxPerOrg: number }): Promise<number> {
    const cutoff = opts.before.getTime();
    let dropped = 0;
    // Pages all of whose entries are older than the cutoff go whole, a batch at a time.
    for (;;) {
      const n = this.log.write(() => {
        const old = this.log.stmt('SELECT seq, n FROM scim_log_pages WHERE max_at_ms < ? LIMIT ?').all(cutoff, PRUNE_BATCH) as { seq: number; n: number }[];
        const del = this.log.stmt(DELETE_PAGE);
        for (const p of old) del.run(p.seq);
        dropped += old.reduce((a, p) => a + p.n, 0);
        return old.length;
      });
      if (n < PRUNE_BATCH) break;
    }
    // Pages that also hold newer entries lose only their older ones.
    const straddling = this.log.run(() => this.log.stmt('SELECT seq FROM scim_log_pages WHERE min_at_ms < ?').all(cutoff) as { seq: number }[]);
    for (const { seq } of straddling) dropped += this.log.write(() => this.dropSlots(seq, (slot) => slotOlderThan(slot, cutoff)));
    // Then each org's oldest entries beyond maxPerOrg: whole pages while they fit, then slots of the next.
    const over = this.log.run(() => this.log.stmt('SELECT org_id, sum(n) AS total FROM scim_log_pages GROUP BY org_id HAVING total > ?').all(Math.max(0, opts.maxPerOrg)) as { org_id: string; total: number }[]);
    for (const { org_id: orgId, total } of over) {
      dropped += this.log.write(() => {
        let excess = total - Math.max(0, opts.maxPerOrg);
        let n = 0;
        for (const page of this.log.stmt('SELECT seq, n FROM scim_log_pages WHERE org_id = ? ORDER BY seq').all(orgId) as { seq: number; n: number }[]) {
          if (excess <= 0) break;
          if (page.n <= excess) {
            this.log.stmt(DELETE_PAGE).run(page.seq);
            excess -= page.n;
            n += page.n;
          } else {
            let left = excess;
            const cut = this.dropSlots(page.seq, () => left-- > 0);
            excess -= cut;
            n += cut;
          }
        }
        return n;
      });
    }
    return dropped;
  }

  /** Empties the slots of a page whose entries `drop` picks (oldest first), within a write; the page goes when none is left. Returns how many. */
  private dropSlots(seq: number, drop: (slot: NonNullable<StoredSlot>) => boolean): number {
    const row = this.log.stmt('SELECT entries FROM scim_log_pages WHERE seq = ?').get(seq) as { entries: string } | undefined;
    if (!row) return 0;
    const slots = slotsOfPage(row.entries);
    let n = 0;
    for (let i = 0; i < slots.length; i++) {
      if (slots[i] && drop(slots[i]!)) {
        slots[i] = null;
        n++;
      }
    }
    if (n === 0) return 0;
    const live = slots.filter((e) => e !== null).length;
    if (live === 0) this.log.stmt(DELETE_PAGE).run(seq);
    else {
      const { min, max } = timeBounds(slots);
      this.log.stmt('UPDATE scim_log_pages SET n = ?, min_at_ms = ?, max_at_ms = ?, statuses = ?, entries = ? WHERE seq = ?').run(live, min, max, statusClasses(slots), pageOfSlots(slots), seq);
    }
    return n;
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
      db.exec(SCIM_LOG_PAGES);
      // Entries of an earlier version, one row each (migration 20 may just have moved them here).
      const rows = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'scim_log'").get();
      if (rows) db.transaction(() => db.exec(ROWS_TO_PAGES)).immediate();
    } catch (err) {
      db.close();
      throw mapOpenError(err, this.path);
    }
    return new SqliteConnection(db, this.path);
  }
}
