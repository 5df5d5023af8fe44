import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isIdsyncError, type ErrorCode } from '../../src/domain/errors.js';
import { verifyChain } from '../../src/ports/audit-chain.js';
import type { Store } from '../../src/ports/store.js';
import { aMember, anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { RedisTestServer } from '../support/redis-server.js';

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok' | 'other'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isIdsyncError(err) ? err.code : 'other';
  }
}

async function timed<T>(p: Promise<T>): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  const value = await p;
  return { value, ms: Date.now() - start };
}

async function eventually(fn: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fn();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

describe('redis store when the server fails', () => {
  let server: RedisTestServer;
  let store: Store;

  beforeAll(async () => {
    server = await RedisTestServer.start();
    store = createRedisStore({ connection: { url: server.url, commandTimeoutMs: 500 }, keyPrefix: 'faults' });
  });
  afterAll(async () => {
    await store.close();
    await server.dispose();
  });

  it('when redis-server is killed, then calls fail fast with store.unavailable; when it is back on the same port, then the same store works again', async () => {
    // Arrange
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));

    // Act: a crash, not a clean shutdown.
    await server.stop('SIGKILL');
    const refused = aMember(org.id);
    const read = await timed(codeOf(store.getOrg(org.id)));
    const ping = await timed(codeOf(store.ping()));
    const write = await timed(codeOf(store.createMember(refused, draft(org.id, 'member.created', refused.id))));

    // Assert
    for (const r of [read, ping, write]) {
      expect(r.value).toBe('store.unavailable');
      expect(r.ms).toBeLessThan(2000);
    }

    // Act: the server comes back with its AOF; the store reconnects by itself.
    await server.start();
    await eventually(() => store.ping(), 10_000);

    // Assert: acknowledged data survived, the refused write was never replayed, new writes work.
    expect(await store.getOrg(org.id)).toEqual(org);
    expect(await store.getMember(org.id, refused.id)).toBeUndefined();
    const m = aMember(org.id);
    await store.createMember(m, draft(org.id, 'member.created', m.id));
    const events = await store.listAudit(org.id);
    expect(events.map((e) => e.action)).toEqual(['org.created', 'member.created']);
    expect(verifyChain(events).ok).toBe(true);
  }, 20_000);

  it('when redis-server stops answering (frozen), then calls fail within the command timeout and recover when it answers again', async () => {
    // Arrange
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));

    // Act
    server.pause();
    let read: { value: string; ms: number };
    try {
      read = await timed(codeOf(store.getOrg(org.id)));
    } finally {
      server.resume();
    }

    // Assert
    expect(read.value).toBe('store.unavailable');
    expect(read.ms).toBeLessThan(2000);
    await eventually(async () => expect(await store.getOrg(org.id)).toEqual(org), 5000);
  }, 20_000);

  it('when redis-server hangs under a burst of writes to one org, then every queued write fails in bounded time instead of piling up', async () => {
    // Arrange
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));

    // Act
    server.pause();
    let writes: { value: string[]; ms: number };
    try {
      writes = await timed(Promise.all(Array.from({ length: 5 }, (_, i) => codeOf(store.appendAudit(draft(org.id, 'test.event', `e${i}`))))));
    } finally {
      server.resume();
    }

    // Assert: 500 ms command timeout, 1000 ms (twice that) to wait for a turn.
    expect(writes.value).toEqual(Array(5).fill('store.unavailable'));
    expect(writes.ms).toBeLessThan(2000);
    await eventually(() => store.appendAudit(draft(org.id, 'test.event', 'after')), 5000);
    expect(verifyChain(await store.listAudit(org.id)).ok).toBe(true);
  }, 20_000);

  it('when Redis is down as the store starts, then the first call fails within the connect timeout, and works once Redis is up', async () => {
    // Arrange
    const later = await RedisTestServer.start();
    await later.stop();
    const early = createRedisStore({ connection: { url: later.url, connectTimeoutMs: 500 }, keyPrefix: 'early' });
    try {
      // Act
      const first = await timed(codeOf(early.ping()));

      // Assert
      expect(first.value).toBe('store.unavailable');
      expect(first.ms).toBeLessThan(2000);
      await later.start();
      await eventually(() => early.ping(), 10_000);
      const org = anOrg();
      await early.createOrg(org, draft(org.id, 'org.created', org.id));
      expect((await early.listOrgs()).items.map((o) => o.id)).toEqual([org.id]);
    } finally {
      await early.close();
      await later.dispose();
    }
  }, 20_000);
});
