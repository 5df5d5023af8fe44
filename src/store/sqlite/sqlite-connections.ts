import type { AuditDraft, DirectoryConnection, ReconcileRun } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import type { ConnectionStore } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { connectionNotFound, definedFields, runNotFound } from '../shared/extension-errors.js';
import { parse, type DataRow } from './sqlite-core.js';
import { SqliteInvitations } from './sqlite-invitations.js';

type ConnectionState = Partial<Pick<DirectoryConnection, 'syncState' | 'health' | 'lastRunId' | 'lastRunAt'>>;

/** Directory connections and their reconcile runs. */
export abstract class SqliteConnections extends SqliteInvitations implements ConnectionStore {
  async createConnection(conn: DirectoryConnection, audit: AuditDraft): Promise<DirectoryConnection> {
    return this.write(() => {
      this.assertOrg(conn.orgId);
      try {
        this.stmt('INSERT INTO directory_connections (id, org_id, version, data) VALUES (?, ?, ?, ?)').run(conn.id, conn.orgId, conn.version, JSON.stringify(conn));
      } catch (err) {
        throw this.duplicateRow(err, 'directory connection', conn.id);
      }
      this.appendTx(audit);
      return conn;
    });
  }

  async getConnection(id: string): Promise<DirectoryConnection | undefined> {
    return this.run(() => parse<DirectoryConnection>(this.stmt('SELECT data FROM directory_connections WHERE id = ?').get(id) as DataRow | undefined));
  }

  async listConnections(orgId?: string): Promise<DirectoryConnection[]> {
    return this.run(() => {
      const rows =
        orgId === undefined
          ? (this.stmt('SELECT data FROM directory_connections ORDER BY seq').all() as DataRow[])
          : (this.stmt('SELECT data FROM directory_connections WHERE org_id = ? ORDER BY seq').all(orgId) as DataRow[]);
      return rows.map((r) => parse<DirectoryConnection>(r)!);
    });
  }

  async updateConnection(
    orgId: string,
    id: string,
    updater: Updater<DirectoryConnection>,
    opts?: UpdateOptions,
  ): Promise<UpdateResult<DirectoryConnection>> {
    return this.write(() => {
      const current = this.recordTx<DirectoryConnection>('directory_connections', orgId, id);
      if (!current) throw connectionNotFound(id);
      return this.applyUpdate(current, updater, opts, (next) => {
        this.stmt('UPDATE directory_connections SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }

  async saveConnectionState(orgId: string, id: string, state: ConnectionState): Promise<void> {
    this.write(() => {
      const current = this.recordTx<DirectoryConnection>('directory_connections', orgId, id);
      if (!current) throw connectionNotFound(id);
      const next: DirectoryConnection = { ...current, ...definedFields(state) };
      this.stmt('UPDATE directory_connections SET data = ? WHERE id = ?').run(JSON.stringify(next), id);
    });
  }

  async deleteConnection(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.write(() => {
      if (this.stmt('DELETE FROM directory_connections WHERE id = ? AND org_id = ?').run(id, orgId).changes === 0) throw connectionNotFound(id);
      this.appendTx(audit);
    });
  }

  // ---- reconcile runs ----

  async createRun(run: ReconcileRun): Promise<ReconcileRun> {
    return this.write(() => {
      if (!this.stmt('SELECT 1 FROM directory_connections WHERE id = ? AND org_id = ?').get(run.connectionId, run.orgId)) {
        throw connectionNotFound(run.connectionId);
      }
      try {
        this.stmt('INSERT INTO reconcile_runs (id, org_id, connection_id, version, data) VALUES (?, ?, ?, ?, ?)').run(
          run.id,
          run.orgId,
          run.connectionId,
          run.version,
          JSON.stringify(run),
        );
      } catch (err) {
        throw this.duplicateRow(err, 'reconcile run', run.id);
      }
      return run;
    });
  }

  async getRun(id: string): Promise<ReconcileRun | undefined> {
    return this.run(() => parse<ReconcileRun>(this.stmt('SELECT data FROM reconcile_runs WHERE id = ?').get(id) as DataRow | undefined));
  }

  async listRuns(connectionId: string, page?: PageRequest): Promise<Page<ReconcileRun>> {
    return this.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.stmt('SELECT data FROM reconcile_runs WHERE connection_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?').all(
        connectionId,
        limit,
        offset,
      ) as DataRow[];
      const { n } = this.stmt('SELECT count(*) AS n FROM reconcile_runs WHERE connection_id = ?').get(connectionId) as { n: number };
      return { items: rows.map((r) => parse<ReconcileRun>(r)!), total: n };
    });
  }

  async updateRun(orgId: string, id: string, updater: Updater<ReconcileRun, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<ReconcileRun>> {
    return this.write(() => {
      const current = this.recordTx<ReconcileRun>('reconcile_runs', orgId, id);
      if (!current) throw runNotFound(id);
      return this.applyUpdate(current, updater, opts, (next) => {
        this.stmt('UPDATE reconcile_runs SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }

}
