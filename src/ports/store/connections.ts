import type { AuditDraft, DirectoryConnection, ReconcileRun } from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from './types.js';

/** The reconciler's bookkeeping on a connection, written without an audit event or a version bump. */
export type ConnectionState = Partial<Pick<DirectoryConnection, 'syncState' | 'health' | 'lastRunId' | 'lastRunAt'>>;

/**
 * The next notification state from the stored one (undefined: none stored; returning undefined
 * removes it). It may run more than once (a store retries after a concurrent write), so it must be
 * pure.
 */
export type RealtimeChange = (cur: Record<string, unknown> | undefined) => Record<string, unknown> | undefined;

/** Directory connections and their reconcile runs. */
export interface ConnectionStore {
  createConnection(conn: DirectoryConnection, audit: AuditDraft): Promise<DirectoryConnection>;
  /** By id alone (CLI: `connections test ID`); ids are globally unique. */
  getConnection(id: string): Promise<DirectoryConnection | undefined>;
  /** Without orgId: every connection of every org (the scheduler). Creation order. */
  listConnections(orgId?: string): Promise<DirectoryConnection[]>;
  updateConnection(orgId: string, id: string, updater: Updater<DirectoryConnection>, opts?: UpdateOptions): Promise<UpdateResult<DirectoryConnection>>;
  /**
   * Reconciler bookkeeping that is not a change anyone needs audited: sync state, health and the
   * last run. Does not bump `version` (so it never fails an admin's concurrent CAS update).
   * `syncState` replaces every key but `realtime`, which stays as stored (updateRealtimeState owns it).
   */
  saveConnectionState(orgId: string, id: string, state: ConnectionState): Promise<void>;
  /**
   * The notification service's state (`syncState.realtime`) changed alone, atomically against
   * every other write of the connection (saveConnectionState, updateConnection, another
   * updateRealtimeState, from any process): read, `change`, write, with nothing in between. No
   * version bump, not audited. False when the connection does not exist (deleted meanwhile).
   */
  updateRealtimeState(orgId: string, id: string, change: RealtimeChange): Promise<boolean>;
  deleteConnection(orgId: string, id: string, audit: AuditDraft): Promise<void>;

  /** Runs are their own record (no audit draft); approvals and actions are audited by the services. */
  createRun(run: ReconcileRun): Promise<ReconcileRun>;
  getRun(id: string): Promise<ReconcileRun | undefined>;
  /** Newest first. */
  listRuns(connectionId: string, page?: PageRequest): Promise<Page<ReconcileRun>>;
  /** The same compare-and-swap update as every other record's, without an audit event (AuditMode `unaudited`). */
  updateRun(orgId: string, id: string, updater: Updater<ReconcileRun, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<ReconcileRun>>;
}
