import type { AuditDraft, DirectoryConnection, ReconcileRun } from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import type { ConnectionStore, RealtimeChange } from '../../ports/store.js';
import { withConnectionState, withRealtimeChanged } from '../shared/connection-state.js';
import { connectionNotFound, runNotFound, versionMismatch } from '../shared/record-errors.js';
import { parseJson, RETRY, unexpectedReply, type RedisContext } from './context.js';
import { bestEffort, claimHashEntry, releaseHashEntry } from './global-index.js';
import type { OrgKeys } from './keys.js';
import { pageOfSortedSet, readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound } from './writes.js';

type ConnectionState = Partial<Pick<DirectoryConnection, 'syncState' | 'health' | 'lastRunId' | 'lastRunAt'>>;

/**
 * Directory connections and their reconcile runs. Records live under their org's tag. Connections
 * are also found by id alone and listed across orgs through `{conns}` (id -> org, creation order),
 * and runs by id through `{runs}` (id -> org); both are written before the org's script and checked
 * against the record on every read. A deleted connection leaves the list, but its id -> org entry
 * stays (ids are never reused), so the runs it leaves behind can still be listed.
 */
export class RedisConnections implements ConnectionStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createConnection(conn: DirectoryConnection, audit: AuditDraft): Promise<DirectoryConnection> {
    this.ctx.assertOneSlot(audit, conn.orgId);
    const g = this.ctx.keys.connections;
    const index = await this.ctx.script('indexConnection', [g.ordinal, g.all, g.byId], [conn.id, conn.orgId]);
    if (index[0] === 'id_taken') throw duplicateId('directory connection', conn.id);
    if (index[0] !== 'ok') throw unexpectedReply('indexConnection', index);
    const k = this.#k(conn.orgId);
    let refused = false;
    try {
      return await this.ctx.write(conn.orgId, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const r = await this.ctx.script(
          'createRecord',
          [...a.keys, k.org, k.connection(conn.id), k.connections, k.ordinal],
          [...a.args, conn.id, JSON.stringify(conn), Number(index[1])],
        );
        if (r[0] === 'exists') throw duplicateId('directory connection', conn.id);
        if (r[0] === 'org_not_found') {
          refused = true;
          throw orgNotFound(conn.orgId);
        }
        return okOrRetry('createRecord', r) === RETRY ? RETRY : conn;
      });
    } catch (err) {
      if (refused) await bestEffort(() => this.ctx.script('unindexConnection', [g.all, g.byId], [conn.id, conn.orgId]));
      throw err;
    }
  }

  async getConnection(id: string): Promise<DirectoryConnection | undefined> {
    const orgId = await this.#orgOf(id);
    return orgId === undefined ? undefined : this.#read(orgId, id);
  }

  /** Without orgId: through the global list, in creation order (entries without a record are skipped). */
  async listConnections(orgId?: string): Promise<DirectoryConnection[]> {
    if (orgId !== undefined) {
      const k = this.#k(orgId);
      const ids = await this.ctx.call((c) => c.zrange(k.connections, '0', '-1'));
      return (await readRecords<DirectoryConnection>(this.ctx, ids.map((id) => k.connection(id)))).filter((conn) => conn.orgId === orgId);
    }
    const g = this.ctx.keys.connections;
    const ids = await this.ctx.call((c) => c.zrange(g.all, '0', '-1'));
    if (ids.length === 0) return [];
    const orgs = await this.ctx.call((c) => c.hmget(g.byId, ...ids));
    const conns = await Promise.all(ids.map((id, i) => (orgs[i] ? this.#read(orgs[i], id) : undefined)));
    return conns.filter((conn): conn is DirectoryConnection => conn !== undefined);
  }

  async updateConnection(
    orgId: string,
    id: string,
    updater: Updater<DirectoryConnection>,
    opts?: UpdateOptions,
  ): Promise<UpdateResult<DirectoryConnection>> {
    const key = this.#k(orgId).connection(id);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: key,
      scope: orgId,
      notFound: () => connectionNotFound(id),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }

  /** Compare-and-swap without a version bump: a concurrent admin update makes one of the two re-read, and neither is lost. */
  async saveConnectionState(orgId: string, id: string, state: ConnectionState): Promise<void> {
    const key = this.#k(orgId).connection(id);
    await this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(key));
      const current = parseJson<DirectoryConnection>(raw);
      if (raw === null || !current) throw connectionNotFound(id);
      return okOrRetry('replaceIfEquals', await this.ctx.script('replaceIfEquals', [key], [raw, JSON.stringify(withConnectionState(current, state))])) === RETRY ? RETRY : undefined;
    });
  }

  /** The same compare-and-swap: a write of the record between the read and this one makes `change` run again on what it wrote. */
  async updateRealtimeState(orgId: string, id: string, change: RealtimeChange): Promise<boolean> {
    const key = this.#k(orgId).connection(id);
    return this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(key));
      const current = parseJson<DirectoryConnection>(raw);
      if (raw === null || !current) return false;
      return okOrRetry('replaceIfEquals', await this.ctx.script('replaceIfEquals', [key], [raw, JSON.stringify(withRealtimeChanged(current, change))])) === RETRY ? RETRY : true;
    });
  }

  async deleteConnection(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.#k(orgId);
    await this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(k.connection(id)));
      if (raw === null) throw connectionNotFound(id);
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('deleteRecord', [...a.keys, k.connection(id), k.connections], [...a.args, id, raw]);
      return okOrRetry('deleteRecord', r) === RETRY ? RETRY : undefined;
    });
    await bestEffort(() => this.ctx.call((c) => c.zrem(this.ctx.keys.connections.all, id)));
  }

  // ---- reconcile runs ----

  async createRun(run: ReconcileRun): Promise<ReconcileRun> {
    const byId = this.ctx.keys.runs.byId;
    await claimHashEntry(this.ctx, byId, run.id, run.orgId, 'reconcile run');
    const k = this.#k(run.orgId);
    const r = await this.ctx.script('createRun', [k.connection(run.connectionId), k.run(run.id), k.runsOf(run.connectionId), k.ordinal], [run.id, JSON.stringify(run)]);
    switch (r[0]) {
      case 'ok':
        return run;
      case 'exists':
        throw duplicateId('reconcile run', run.id);
      case 'connection_not_found':
        await releaseHashEntry(this.ctx, byId, run.id, run.orgId);
        throw connectionNotFound(run.connectionId);
      default:
        throw unexpectedReply('createRun', r);
    }
  }

  async getRun(id: string): Promise<ReconcileRun | undefined> {
    const orgId = await this.ctx.call((c) => c.hget(this.ctx.keys.runs.byId, id));
    if (orgId === null) return undefined;
    const run = parseJson<ReconcileRun>(await this.ctx.call((c) => c.get(this.#k(orgId).run(id))));
    return run?.id === id && run.orgId === orgId ? run : undefined;
  }

  async listRuns(connectionId: string, page?: PageRequest): Promise<Page<ReconcileRun>> {
    const orgId = await this.#orgOf(connectionId);
    if (orgId === undefined) return { items: [], total: 0 };
    const k = this.#k(orgId);
    const { items, total } = await pageOfSortedSet(this.ctx, k.runsOf(connectionId), page, 'desc');
    return { items: await readRecords<ReconcileRun>(this.ctx, items.map((id) => k.run(id))), total };
  }

  /** Not audited; a lost race (or a concurrent saver) makes it re-read and call the updater again, as every update does. */
  async updateRun(orgId: string, id: string, updater: Updater<ReconcileRun, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<ReconcileRun>> {
    const key = this.#k(orgId).run(id);
    return this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(key));
      const current = parseJson<ReconcileRun>(raw);
      if (raw === null || !current) throw runNotFound(id);
      if (opts?.ifVersion !== undefined && opts.ifVersion !== current.version) throw versionMismatch(opts.ifVersion, current.version);
      const result = updater(current);
      if (!result) return { record: current, changed: false };
      const next: ReconcileRun = { ...result.next, version: current.version + 1 };
      return okOrRetry('replaceIfEquals', await this.ctx.script('replaceIfEquals', [key], [raw, JSON.stringify(next)])) === RETRY ? RETRY : { record: next, changed: true };
    });
  }

  async #orgOf(connectionId: string): Promise<string | undefined> {
    return (await this.ctx.call((c) => c.hget(this.ctx.keys.connections.byId, connectionId))) ?? undefined;
  }

  async #read(orgId: string, id: string): Promise<DirectoryConnection | undefined> {
    const conn = parseJson<DirectoryConnection>(await this.ctx.call((c) => c.get(this.#k(orgId).connection(id))));
    return conn?.id === id && conn.orgId === orgId ? conn : undefined;
  }
}
