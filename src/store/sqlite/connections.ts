import type { AuditDraft, DirectoryConnection, ReconcileRun } from '../../domain/model.js';
import {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  type ConnectionState,
  type ConnectionStore,
  type RealtimeChange,
  type Page,
  type PageRequest,
  type UpdateOptions,
  type UpdateResult,
  type Updater,
} from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { withConnectionState, withRealtimeChanged } from '../shared/connection-state.js';
import { connectionNotFound, runNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** Directory connections and their reconcile runs. */
export class SqliteConnections implements ConnectionStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createConnection(conn: DirectoryConnection, audit: AuditDraft): Promise<DirectoryConnection> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(conn.orgId);
      try {
        this.ctx.stmt('INSERT INTO directory_connections (id, org_id, version, data) VALUES (?, ?, ?, ?)').run(conn.id, conn.orgId, conn.version, JSON.stringify(conn));
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'directory connection', conn.id);
      }
      this.ctx.appendTx(audit);
      return conn;
    });
  }

  async getConnection(id: string): Promise<DirectoryConnection | undefined> {
    return this.ctx.run(() => parse<DirectoryConnection>(this.ctx.stmt('SELECT data FROM directory_connections WHERE id = ?').get(id) as DataRow | undefined));
  }

  async listConnections(orgId?: string): Promise<DirectoryConnection[]> {
    return this.ctx.run(() => {
      const rows =
        orgId === undefined
          ? (this.ctx.stmt('SELECT data FROM directory_connections ORDER BY seq').all() as DataRow[])
          : (this.ctx.stmt('SELECT data FROM directory_connections WHERE org_id = ? ORDER BY seq').all(orgId) as DataRow[]);
      return rows.map((r) => parse<DirectoryConnection>(r)!);
    });
  }

  async updateConnection(
    orgId: string,
    id: string,
    updater: Updater<DirectoryConnection>,
    opts?: UpdateOptions,
  ): Promise<UpdateResult<DirectoryConnection>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<DirectoryConnection>('directory_connections', orgId, id);
      if (!current) throw connectionNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE directory_connections SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }

  async saveConnectionState(orgId: string, id: string, state: ConnectionState): Promise<void> {
    this.ctx.write(() => {
      const current = this.ctx.recordTx<DirectoryConnection>('directory_connections', orgId, id);
      if (!current) throw connectionNotFound(id);
      this.ctx.stmt('UPDATE directory_connections SET data = ? WHERE id = ?').run(JSON.stringify(withConnectionState(current, state)), id);
    });
  }

  async updateRealtimeState(orgId: string, id: string, change: RealtimeChange): Promise<boolean> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<DirectoryConnection>('directory_connections', orgId, id);
      if (!current) return false;
      this.ctx.stmt('UPDATE directory_connections SET data = ? WHERE id = ?').run(JSON.stringify(withRealtimeChanged(current, change)), id);
      return true;
    });
  }

  async deleteConnection(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.write(() => {
      if (this.ctx.stmt('DELETE FROM directory_connections WHERE id = ? AND org_id = ?').run(id, orgId).changes === 0) throw connectionNotFound(id);
      this.ctx.appendTx(audit);
    });
  }

  // ---- reconcile runs ----

  async createRun(run: ReconcileRun): Promise<ReconcileRun> {
    return this.ctx.write(() => {
      if (!this.ctx.stmt('SELECT 1 FROM directory_connections WHERE id = ? AND org_id = ?').get(run.connectionId, run.orgId)) {
        throw connectionNotFound(run.connectionId);
      }
      try {
        this.ctx.stmt('INSERT INTO reconcile_runs (id, org_id, connection_id, version, data) VALUES (?, ?, ?, ?, ?)').run(
          run.id,
          run.orgId,
          run.connectionId,
          run.version,
          JSON.stringify(run),
        );
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'reconcile run', run.id);
      }
      return run;
    });
  }

  async getRun(id: string): Promise<ReconcileRun | undefined> {
    return this.ctx.run(() => parse<ReconcileRun>(this.ctx.stmt('SELECT data FROM reconcile_runs WHERE id = ?').get(id) as DataRow | undefined));
  }

  async listRuns(connectionId: string, page?: PageRequest): Promise<Page<ReconcileRun>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.ctx.stmt('SELECT data FROM reconcile_runs WHERE connection_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?').all(
        connectionId,
        limit,
        offset,
      ) as DataRow[];
      const { n } = this.ctx.stmt('SELECT count(*) AS n FROM reconcile_runs WHERE connection_id = ?').get(connectionId) as { n: number };
      return { items: rows.map((r) => parse<ReconcileRun>(r)!), total: n };
    });
  }

  async updateRun(orgId: string, id: string, updater: Updater<ReconcileRun, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<ReconcileRun>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<ReconcileRun>('reconcile_runs', orgId, id);
      if (!current) throw runNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE reconcile_runs SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }
}
