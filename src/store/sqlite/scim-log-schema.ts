/**
 * The SCIM request log lives in a file of its own beside the store's (`idsync.db` →
 * `idsync.db-scimlog`): its inserts, from a writer thread with its own connection, never change the
 * store's file, so they neither discard the store connection's page cache nor tell the token cache
 * that something changed, and a store write never waits for a log batch. Losing the file loses only
 * the request log; it is made again, empty.
 */
export function scimLogPath(path: string): string {
  return path === ':memory:' ? ':memory:' : `${path}-scimlog`;
}

/**
 * The log as versions up to 0.20 kept it, one row per entry: what migration 20 moves out of the
 * store's file, and what opening the log file turns into pages (SCIM_LOG_PAGES). Frozen: a
 * migration's schema does not change. `schema` is `scimlog.` where the file is attached.
 */
export const SCIM_LOG_TABLE = (schema = ''): string => `
  CREATE TABLE IF NOT EXISTS ${schema}scim_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    method TEXT NOT NULL,
    status INTEGER NOT NULL,
    resource_type TEXT,
    data TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS ${schema}scim_log_org_seq ON scim_log (org_id, seq);
  CREATE INDEX IF NOT EXISTS ${schema}scim_log_at ON scim_log (at_ms);
`;

/**
 * The log, in pages: one row holds one org's entries of one appended batch (at most PAGE_SLOTS,
 * scim-log-pages.ts), as a JSON array in the order they were appended; an entry retention dropped
 * from a page that keeps others leaves a null in its slot, so every entry keeps its id (page seq and
 * slot). A row per entry cost the writer thread an insert and two index updates per SCIM request,
 * more CPU than the request itself (bench/RESULTS.md, 2026-12-05); a page costs one per batch.
 * `n` counts the live entries, `min_at_ms`/`max_at_ms` bound their times (retention by age) and
 * `statuses` has bit k set when an entry answered kxx (a status filter skips pages without it).
 * AUTOINCREMENT: an id is never reused. `entries` last, so reading the other columns leaves its
 * overflow pages alone.
 */
export const SCIM_LOG_PAGES = `
  CREATE TABLE IF NOT EXISTS scim_log_pages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    min_at_ms INTEGER NOT NULL,
    max_at_ms INTEGER NOT NULL,
    statuses INTEGER NOT NULL,
    entries TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS scim_log_pages_org_seq ON scim_log_pages (org_id, seq);
  CREATE INDEX IF NOT EXISTS scim_log_pages_max_at ON scim_log_pages (max_at_ms);
  CREATE INDEX IF NOT EXISTS scim_log_pages_min_at ON scim_log_pages (min_at_ms);
`;

/** One page's insert, on the request thread (a store in memory) and on the writer thread alike. */
export const INSERT_PAGE = 'INSERT INTO scim_log_pages (org_id, n, min_at_ms, max_at_ms, statuses, entries) VALUES (?, ?, ?, ?, ?, ?)';

/**
 * Entries still in rows of the earlier layout (SCIM_LOG_TABLE) become pages of one entry each, in
 * their order, and the old table goes: run when the log file is opened and the old table is there.
 */
export const ROWS_TO_PAGES = `
  INSERT INTO scim_log_pages (org_id, n, min_at_ms, max_at_ms, statuses, entries)
    SELECT org_id, 1, at_ms, at_ms, 1 << (status / 100), json_array(json(data)) FROM scim_log ORDER BY seq;
  DROP TABLE scim_log;
`;
