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
import { parse, type DataRow, type PostgresContext } from './context.js';

/** Directory connections and their reconcile runs (runs and connection state are bookkeeping: no org lock, no audit). */
export class PostgresConnections implements ConnectionStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createConnection(conn: DirectoryConnection, audit: AuditDraft): Promise<DirectoryConnection> {
    return this.ctx.write(conn.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, conn.orgId);
      await tx.exec('INSERT INTO directory_connections (id, org_id, version, data) VALUES ($1, $2, $3, $4)', [conn.id, conn.orgId, conn.version, JSON.stringify(conn)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'directory connection', conn.id);
      });
      await this.ctx.appendTx(tx, audit);
      return conn;
    });
  }

  async getConnection(id: string): Promise<DirectoryConnection | undefined> {
    return this.ctx.read(async (sql) => parse<DirectoryConnection>(await sql.one<DataRow>('SELECT data FROM directory_connections WHERE id = $1', [id])));
  }

  async listConnections(orgId?: string): Promise<DirectoryConnection[]> {
    return this.ctx.read(async (sql) => {
      const rows =
        orgId === undefined
          ? await sql.rows<DataRow>('SELECT data FROM directory_connections ORDER BY seq')
          : await sql.rows<DataRow>('SELECT data FROM directory_connections WHERE org_id = $1 ORDER BY seq', [orgId]);
      return rows.map((r) => parse<DirectoryConnection>(r)!);
    });
  }

  async updateConnection(orgId: string, id: string, updater: Updater<DirectoryConnection>, opts?: UpdateOptions): Promise<UpdateResult<DirectoryConnection>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.ctx.record<DirectoryConnection>(tx, 'directory_connections', orgId, id, true);
      if (!current) throw connectionNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE directory_connections SET version = $1, data = $2 WHERE id = $3', [next.version, JSON.stringify(next), id]);
      });
    });
  }

  async saveConnectionState(orgId: string, id: string, state: ConnectionState): Promise<void> {
    await this.ctx.write(null, async (tx) => {
      const current = await this.ctx.record<DirectoryConnection>(tx, 'directory_connections', orgId, id, true);
      if (!current) throw connectionNotFound(id);
      await tx.exec('UPDATE directory_connections SET data = $1 WHERE id = $2', [JSON.stringify(withConnectionState(current, state)), id]);
    });
  }

  async updateRealtimeState(orgId: string, id: string, change: RealtimeChange): Promise<boolean> {
    return this.ctx.write(null, async (tx) => {
      // Read for update: the row stays locked until the change is written.
      const current = await this.ctx.record<DirectoryConnection>(tx, 'directory_connections', orgId, id, true);
      if (!current) return false;
      await tx.exec('UPDATE directory_connections SET data = $1 WHERE id = $2', [JSON.stringify(withRealtimeChanged(current, change)), id]);
      return true;
    });
  }

  async deleteConnection(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    await this.ctx.write(orgId, async (tx) => {
      if ((await tx.exec('DELETE FROM directory_connections WHERE id = $1 AND org_id = $2', [id, orgId])) === 0) throw connectionNotFound(id);
      await this.ctx.appendTx(tx, audit);
    });
  }

  // ---- reconcile runs ----

  async createRun(run: ReconcileRun): Promise<ReconcileRun> {
    return this.ctx.write(null, async (tx) => {
      if (!(await tx.one('SELECT 1 FROM directory_connections WHERE id = $1 AND org_id = $2', [run.connectionId, run.orgId]))) throw connectionNotFound(run.connectionId);
      await tx
        .exec('INSERT INTO reconcile_runs (id, org_id, connection_id, version, data) VALUES ($1, $2, $3, $4, $5)', [run.id, run.orgId, run.connectionId, run.version, JSON.stringify(run)])
        .catch((err: unknown) => {
          throw this.ctx.duplicateRow(err, 'reconcile run', run.id);
        });
      return run;
    });
  }

  async getRun(id: string): Promise<ReconcileRun | undefined> {
    return this.ctx.read(async (sql) => parse<ReconcileRun>(await sql.one<DataRow>('SELECT data FROM reconcile_runs WHERE id = $1', [id])));
  }

  async listRuns(connectionId: string, page?: PageRequest): Promise<Page<ReconcileRun>> {
    const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<DataRow>('SELECT data FROM reconcile_runs WHERE connection_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3', [connectionId, limit, offset]),
        sql.one<{ n: number }>('SELECT count(*)::int AS n FROM reconcile_runs WHERE connection_id = $1', [connectionId]),
      ]);
      return { items: rows.map((r) => parse<ReconcileRun>(r)!), total: count!.n };
    });
  }

  async updateRun(orgId: string, id: string, updater: Updater<ReconcileRun, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<ReconcileRun>> {
    return this.ctx.write(null, async (tx) => {
      const current = await this.ctx.record<ReconcileRun>(tx, 'reconcile_runs', orgId, id, true);
      if (!current) throw runNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE reconcile_runs SET version = $1, data = $2 WHERE id = $3', [next.version, JSON.stringify(next), id]);
      });
    });
  }
}
