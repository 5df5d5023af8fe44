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
 * The log's table, made when missing (a new store, or the file removed). Newest-first pages walk
 * scim_log_org_seq backwards; retention by age deletes through scim_log_at across every org at
 * once. AUTOINCREMENT: a cursor (seq) is never reused. `schema` is `scimlog.` where it is attached.
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
