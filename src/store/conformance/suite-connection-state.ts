import { describe, expect, it } from '@jest/globals';
import type { DirectoryConnection } from '../../domain/model.js';
import { aConnection, draft } from './fixtures.js';
import type { StoreHarness } from './harness.js';

type Realtime = { channels?: string[]; lastMessageAt?: string; lastError?: string };
const realtimeOf = (c: DirectoryConnection | undefined): Realtime => (c?.syncState.realtime ?? {}) as Realtime;

/**
 * A connection's notification state (`syncState.realtime`) has one writer, updateRealtimeState, an
 * atomic partial update; saveConnectionState (a reconcile run's cursor and health) keeps it as
 * stored. Concurrent writers of either kind lose nothing of each other's.
 */
export function connectionStateConformance(h: StoreHarness): void {
  describe('connection sync state and realtime state', () => {
    async function newConnection(orgId: string, syncState: Record<string, unknown> = {}) {
      const conn = aConnection(orgId, { syncState });
      await h.store.createConnection(conn, draft(orgId, 'connection.created', conn.id));
      return conn;
    }

    it('when a run saves its state with a stale or no realtime value, then the stored realtime state stays and the rest is replaced', async () => {
      const org = await h.newOrg();
      const conn = await newConnection(org.id, { cursor: 'c1', realtime: { channels: ['a'] } });
      await h.store.saveConnectionState(org.id, conn.id, { syncState: { cursor: 'c2', realtime: { channels: [] } }, health: 'healthy' });
      expect(await h.store.getConnection(conn.id)).toMatchObject({ syncState: { cursor: 'c2', realtime: { channels: ['a'] } }, health: 'healthy', version: 1 });
      await h.store.saveConnectionState(org.id, conn.id, { syncState: { cursor: 'c3' } });
      expect((await h.store.getConnection(conn.id))?.syncState).toEqual({ cursor: 'c3', realtime: { channels: ['a'] } });
      const bare = await newConnection(org.id, { cursor: 'c1' });
      await h.store.saveConnectionState(org.id, bare.id, { syncState: { cursor: 'c2', realtime: { channels: ['x'] } } });
      expect((await h.store.getConnection(bare.id))?.syncState).toEqual({ cursor: 'c2' });
    });

    it('when the realtime state is updated, then only it changes (no version bump, no audit event), it can be removed, and a missing connection answers false', async () => {
      const org = await h.newOrg();
      const conn = await newConnection(org.id, { cursor: 'c1' });
      const seen: unknown[] = [];
      const delta = await h.auditDelta(org.id, async () => {
        expect(await h.store.updateRealtimeState(org.id, conn.id, (cur) => (seen.push(cur), { channels: ['a'] }))).toBe(true);
      });
      expect(delta).toBe(0);
      expect(seen[seen.length - 1]).toBeUndefined();
      expect(await h.store.getConnection(conn.id)).toEqual({ ...conn, syncState: { cursor: 'c1', realtime: { channels: ['a'] } } });
      await h.store.updateRealtimeState(org.id, conn.id, (cur) => ({ ...cur, lastError: 'boom' }));
      expect((await h.store.getConnection(conn.id))?.syncState).toEqual({ cursor: 'c1', realtime: { channels: ['a'], lastError: 'boom' } });
      await h.store.updateRealtimeState(org.id, conn.id, () => undefined);
      expect(await h.store.getConnection(conn.id)).toEqual({ ...conn, syncState: { cursor: 'c1' } });
      expect(await h.store.updateRealtimeState(org.id, 'missing', () => ({ channels: [] }))).toBe(false);
      const other = await h.newOrg();
      expect(await h.store.updateRealtimeState(other.id, conn.id, () => ({ channels: [] }))).toBe(false);
      expect((await h.store.getConnection(conn.id))?.syncState).toEqual({ cursor: 'c1' });
    });

    it('when realtime writers, run state saves and an admin update race on one connection, then every change survives', async () => {
      const org = await h.newOrg();
      const conn = await newConnection(org.id, { cursor: 'c0', realtime: { channels: [] } });
      const N = 30;
      await Promise.all(
        Array.from({ length: N }, (_, i) => [
          h.store.updateRealtimeState(org.id, conn.id, (cur) => ({ ...cur, channels: [...((cur as Realtime | undefined)?.channels ?? []), `ch${i}`] })),
          h.store.saveConnectionState(org.id, conn.id, { syncState: { cursor: `c${i + 1}`, realtime: { channels: [] } }, lastRunId: `run${i}` }),
          ...(i % 10 === 0 ? [h.store.updateConnection(org.id, conn.id, (cur) => ({ next: { ...cur, name: `Workspace ${i}` }, audit: draft(org.id, 'connection.updated', conn.id) }))] : []),
        ]).flat(),
      );
      const after = await h.store.getConnection(conn.id);
      expect(new Set(realtimeOf(after).channels)).toEqual(new Set(Array.from({ length: N }, (_, i) => `ch${i}`)));
      expect(realtimeOf(after).channels).toHaveLength(N);
      expect(after?.syncState.cursor).toMatch(/^c\d+$/);
      expect(after?.version).toBe(1 + N / 10);
    });
  });
}
