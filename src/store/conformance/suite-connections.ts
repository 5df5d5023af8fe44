import { describe, expect, it } from '@jest/globals';
import { IdsyncError } from '../../domain/errors.js';
import type { DirectoryConnection, ReconcileRun } from '../../domain/model.js';
import { aConnection, aRun, draft, hoursFrom, NOW } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const rename = (name: string) => (cur: DirectoryConnection) => ({ next: { ...cur, name }, audit: draft(cur.orgId, 'connection.updated', cur.id) });
const finish = (status: ReconcileRun['status']) => (cur: ReconcileRun) => ({ next: { ...cur, status, finishedAt: NOW } });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

export function connectionConformance(h: StoreHarness): void {
  describe('directory connections', () => {
    async function newConnection(orgId: string, overrides: Partial<DirectoryConnection> = {}) {
      const conn = aConnection(orgId, overrides);
      await h.store.createConnection(conn, draft(orgId, 'connection.created', conn.id));
      return conn;
    }

    it('when connections are created in two orgs, then each is found by id alone and listed per org and overall in creation order', async () => {
      const a = await h.newOrg();
      const b = await h.newOrg();
      const a1 = await newConnection(a.id);
      const b1 = await newConnection(b.id, { provider: 'microsoft' });
      const a2 = await newConnection(a.id, { provider: 'github' });
      expect(await h.store.getConnection(b1.id)).toEqual(b1);
      expect(await h.store.getConnection('missing')).toBeUndefined();
      expect(ids(await h.store.listConnections(a.id))).toEqual([a1.id, a2.id]);
      expect(ids(await h.store.listConnections(b.id))).toEqual([b1.id]);
      expect(ids(await h.store.listConnections())).toEqual([a1.id, b1.id, a2.id]);
      expect(await h.store.listConnections('no-such-org')).toEqual([]);
      expect(await codeOf(h.store.createConnection(aConnection('no-such-org'), draft('no-such-org', 'connection.created', 'x')))).toBe('org.not_found');
      expect(await h.store.listConnections()).toHaveLength(3);
    });

    it('when a connection is updated, then its version grows and a stale ifVersion, another org or an unknown id is refused', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const conn = await newConnection(org.id);
      const res = await h.store.updateConnection(org.id, conn.id, rename('Workspace EU'));
      expect(res).toMatchObject({ changed: true, record: { name: 'Workspace EU', version: 2 } });
      expect(await h.store.getConnection(conn.id)).toEqual(res.record);
      expect(await codeOf(h.store.updateConnection(org.id, conn.id, rename('x'), { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.updateConnection(other.id, conn.id, rename('x')))).toBe('connection.not_found');
      expect(await codeOf(h.store.updateConnection(org.id, 'missing', rename('x')))).toBe('connection.not_found');
    });

    it('when the reconciler saves its state, then the version stays, nothing is audited and an admin CAS update still succeeds', async () => {
      const org = await h.newOrg();
      const conn = await newConnection(org.id);
      const appended = await h.auditDelta(org.id, async () => {
        await h.store.saveConnectionState(org.id, conn.id, { syncState: { deltaLink: 'https://graph/delta?token=1' }, health: 'healthy' });
        await h.store.saveConnectionState(org.id, conn.id, { lastRunId: 'run-1', lastRunAt: NOW });
      });
      expect(appended).toBe(0);
      const saved = await h.store.getConnection(conn.id);
      expect(saved).toEqual({ ...conn, syncState: { deltaLink: 'https://graph/delta?token=1' }, health: 'healthy', lastRunId: 'run-1', lastRunAt: NOW });
      // An admin who read version 1 before the reconciler wrote is not refused.
      const res = await h.store.updateConnection(org.id, conn.id, rename('Renamed'), { ifVersion: 1 });
      expect(res.record).toMatchObject({ name: 'Renamed', version: 2, health: 'healthy', lastRunId: 'run-1' });
      await Promise.all([
        h.store.saveConnectionState(org.id, conn.id, { health: 'degraded' }),
        h.store.updateConnection(org.id, conn.id, rename('Both'), { ifVersion: 2 }),
      ]);
      expect(await h.store.getConnection(conn.id)).toMatchObject({ name: 'Both', health: 'degraded', version: 3 });
      expect(await codeOf(h.store.saveConnectionState(org.id, 'missing', { health: 'failing' }))).toBe('connection.not_found');
    });

    it('when a connection is deleted, then it is gone from lookups and lists, and deleting it again is refused', async () => {
      const org = await h.newOrg();
      const keep = await newConnection(org.id);
      const conn = await newConnection(org.id);
      expect(await h.auditDelta(org.id, () => h.store.deleteConnection(org.id, conn.id, draft(org.id, 'connection.deleted', conn.id)))).toBe(1);
      expect(await h.store.getConnection(conn.id)).toBeUndefined();
      expect(ids(await h.store.listConnections(org.id))).toEqual([keep.id]);
      expect(ids(await h.store.listConnections())).toEqual([keep.id]);
      expect(await codeOf(h.store.deleteConnection(org.id, conn.id, draft(org.id, 'connection.deleted', conn.id)))).toBe('connection.not_found');
      expect(await codeOf(h.store.updateConnection(org.id, conn.id, rename('x')))).toBe('connection.not_found');
    });
  });

  describe('reconcile runs', () => {
    it('when runs are created, then they are found by id and listed per connection newest first, without audit events', async () => {
      const org = await h.newOrg();
      const conn = aConnection(org.id);
      const sibling = aConnection(org.id);
      await h.store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
      await h.store.createConnection(sibling, draft(org.id, 'connection.created', sibling.id));
      const runs: ReconcileRun[] = [];
      const appended = await h.auditDelta(org.id, async () => {
        for (let i = 0; i < 5; i++) {
          runs.push(await h.store.createRun(aRun(conn, { startedAt: hoursFrom(NOW, i) })));
          await h.store.createRun(aRun(sibling));
        }
      });
      expect(appended).toBe(0);
      expect(await h.store.getRun(runs[2]!.id)).toEqual(runs[2]);
      expect(await h.store.getRun('missing')).toBeUndefined();
      const newestFirst = ids(runs).reverse();
      const page = await h.store.listRuns(conn.id, { offset: 1, limit: 3 });
      expect(page.total).toBe(5);
      expect(ids(page.items)).toEqual(newestFirst.slice(1, 4));
      expect(ids((await h.store.listRuns(conn.id)).items)).toEqual(newestFirst);
      expect((await h.store.listRuns(sibling.id)).total).toBe(5);
      expect(await h.store.listRuns('missing')).toEqual({ items: [], total: 0 });
      expect(await codeOf(h.store.createRun(aRun(aConnection(org.id))))).toBe('connection.not_found');
    });

    it('when a run is updated, then its version grows; a stale ifVersion, another org or an unknown id is refused', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const conn = aConnection(org.id);
      await h.store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
      const run = await h.store.createRun(aRun(conn));
      const appended = await h.auditDelta(org.id, async () => {
        const { record: done } = await h.store.updateRun(org.id, run.id, finish('completed'), { ifVersion: 1 });
        expect(done).toMatchObject({ status: 'completed', finishedAt: NOW, version: 2 });
      });
      expect(appended).toBe(0);
      expect(await h.store.getRun(run.id)).toMatchObject({ status: 'completed', version: 2 });
      expect(await codeOf(h.store.updateRun(org.id, run.id, finish('failed'), { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.updateRun(other.id, run.id, finish('failed')))).toBe('run.not_found');
      expect(await codeOf(h.store.updateRun(org.id, 'missing', finish('failed')))).toBe('run.not_found');
      await Promise.all(Array.from({ length: 10 }, () => h.store.updateRun(org.id, run.id, (cur) => ({ next: { ...cur, summary: { n: ((cur.summary.n as number | undefined) ?? 0) + 1 } } }))));
      expect(await h.store.getRun(run.id)).toMatchObject({ summary: { n: 10 }, version: 12 });
    });

    it('when several updaters claim a held run at once and each throws when it is no longer held, then exactly one wins and the others get its coded error', async () => {
      // The contract the approval of a held run relies on: a lost race calls the updater again on
      // the record that won, and an error it throws reaches the caller with nothing written.
      const org = await h.newOrg();
      const conn = aConnection(org.id);
      await h.store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
      const run = await h.store.createRun(aRun(conn, { status: 'held' }));
      const claim = (status: ReconcileRun['status']) => (cur: ReconcileRun) => {
        if (cur.status !== 'held') throw new IdsyncError('run.not_held', `run ${cur.id} is ${cur.status}`);
        return { next: { ...cur, status } };
      };
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => h.store.updateRun(org.id, run.id, claim(i % 2 ? 'approved' : 'rejected'))));
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.record] : []));
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      expect(won).toHaveLength(1);
      expect(lost.map((e) => (e as IdsyncError).code)).toEqual(Array(5).fill('run.not_held'));
      expect(await h.store.getRun(run.id)).toEqual({ ...run, status: won[0]!.status, version: 2 });
    });

    it('when a run updater returns null, then nothing is written and the version stays', async () => {
      const org = await h.newOrg();
      const conn = aConnection(org.id);
      await h.store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
      const run = await h.store.createRun(aRun(conn));
      const result = await h.store.updateRun(org.id, run.id, () => null);
      expect(result).toEqual({ record: run, changed: false });
      expect(await h.store.getRun(run.id)).toEqual(run);
    });

    it('when a connection is deleted, then its runs stay readable as history', async () => {
      const org = await h.newOrg();
      const conn = aConnection(org.id);
      await h.store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
      const run = await h.store.createRun(aRun(conn));
      await h.store.deleteConnection(org.id, conn.id, draft(org.id, 'connection.deleted', conn.id));
      expect(await h.store.getRun(run.id)).toEqual(run);
      expect(ids((await h.store.listRuns(conn.id)).items)).toEqual([run.id]);
    });
  });
}
