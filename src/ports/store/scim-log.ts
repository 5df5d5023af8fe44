import type { ScimLogEntry, ScimLogPage, ScimLogQuery } from '../../domain/scim-log.js';

/**
 * Each org's SCIM request log: bookkeeping records written without audit events or outbox records
 * (they describe requests, not changes), appended in batches and read newest first.
 */
export interface ScimLogStore {
  /**
   * Appends entries of any orgs, each org's in the given order. Unknown orgs are not checked (the
   * log is written after the fact). With `maxPerOrg`, a store that holds the log in memory (Redis)
   * trims each org's oldest entries as it appends, approximately: never below `maxPerOrg`, at most
   * one storage node above it; pruneScimLog keeps the exact bound. A store on disk may leave the
   * trimming to pruneScimLog.
   */
  appendScimLog(entries: readonly ScimLogEntry[], opts?: { maxPerOrg?: number }): Promise<void>;
  /**
   * A page of one org's entries matching the query, newest first (in the order they were
   * appended), and the cursor of the next older page. A cursor from another backend, or not from
   * this store at all, is `request.invalid`.
   */
  listScimLog(orgId: string, query: ScimLogQuery): Promise<ScimLogPage>;
  /**
   * Retention: drops every entry whose time is before `before`, then each org's oldest entries
   * beyond `maxPerOrg`. Returns how many it dropped.
   */
  pruneScimLog(opts: { before: Date; maxPerOrg: number }): Promise<number>;
}
