import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { untilReachable } from '../../src/app/open-store.js';
import { isIdsyncError, type ErrorCode } from '../../src/domain/errors.js';
import { verifyChain } from '../../src/ports/audit-chain.js';
import type { Logger } from '../../src/ports/logger.js';
import type { Store } from '../../src/ports/store.js';
import { aMember, anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { PostgresTestServer } from '../support/postgres-server.js';

// The Redis fault tests (redis-faults.test.ts), on PostgreSQL: a crash, a frozen server, a burst of
// writes while it hangs, and a server that is not up yet when the daemon starts.

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

function warnings() {
  const lines: { message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = {
    error: () => undefined,
    warn: (message, fields) => lines.push({ message, ...(fields ? { fields } : {}) }),
    info: () => undefined,
    debug: () => undefined,
    child: () => logger,
  };
  return { logger, lines };
}

/** statement_timeout 500 ms: the client's own bound on a server that answers nothing is 2 s more. */
const STATEMENT_MS = 500;
const CLIENT_BOUND_MS = STATEMENT_MS + 2000;

describe('postgres store when the server fails', () => {
  let server: PostgresTestServer;
  let store: Store;

  beforeAll(async () => {
    // Durable commits: the crash test checks that what was acknowledged survives.
    server = await PostgresTestServer.start({ durable: true });
    store = await openPostgresStore({ url: server.url(), statementTimeoutMs: STATEMENT_MS, connectTimeoutMs: 500, poolSize: 4 });
  }, 60_000);
  afterAll(async () => {
    server.resume();
    await store.close();
    await server.dispose();
  });

  it('when the server crashes, then calls fail fast with store.unavailable; when it is back on the same port, then the same store works again and nothing refused was written', async () => {
    // Arrange
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));

    // Act: an immediate shutdown, as a crash (no checkpoint; recovery replays the WAL).
    await server.stop('SIGQUIT');
    const refused = aMember(org.id);
    const read = await timed(codeOf(store.getOrg(org.id)));
    const ping = await timed(codeOf(store.ping()));
    const write = await timed(codeOf(store.createMember(refused, draft(org.id, 'member.created', refused.id))));

    // Assert
    for (const r of [read, ping, write]) {
      expect(r.value).toBe('store.unavailable');
      expect(r.ms).toBeLessThan(2000);
    }

    // Act: back on the same port and data; the pool reconnects by itself.
    await server.start();
    await eventually(() => store.ping(), 10_000);

    // Assert: committed data survived the crash, the refused write never appears, new writes chain on.
    expect(await store.getOrg(org.id)).toEqual(org);
    expect(await store.getMember(org.id, refused.id)).toBeUndefined();
    const m = aMember(org.id);
    await store.createMember(m, draft(org.id, 'member.created', m.id));
    const events = await store.listAudit(org.id);
    expect(events.map((e) => e.action)).toEqual(['org.created', 'member.created']);
    expect(verifyChain(events).ok).toBe(true);
  }, 40_000);

  it('when the server stops answering (frozen), then a call fails within the client bound and the store recovers when it answers again', async () => {
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
    expect(read.ms).toBeLessThan(CLIENT_BOUND_MS + 1500);
    await eventually(async () => expect(await store.getOrg(org.id)).toEqual(org), 10_000);
  }, 40_000);

  it('when the server hangs under a burst of writes to one org (more than the pool holds), then every write fails in bounded time instead of piling up, and the chain has no fork after', async () => {
    // Arrange
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));

    // Act: 8 writers on a pool of 4 — half hold a connection, half wait for one.
    server.pause();
    let writes: { value: string[]; ms: number };
    try {
      writes = await timed(Promise.all(Array.from({ length: 8 }, (_, i) => codeOf(store.appendAudit(draft(org.id, 'test.event', `e${i}`))))));
    } finally {
      server.resume();
    }

    // Assert: bounded — the writers holding a connection fail at the client bound, those waiting for
    // one of them at most one bound later (measured here: ~5.1 s on a loaded machine), never more.
    expect(writes.value).toEqual(Array(8).fill('store.unavailable'));
    expect(writes.ms).toBeLessThan(2 * CLIENT_BOUND_MS + 2500);
    await eventually(() => store.appendAudit(draft(org.id, 'test.event', 'after')), 10_000);
    const events = await store.listAudit(org.id);
    expect(verifyChain(events).ok).toBe(true);
    expect(events.at(-1)?.target.id).toBe('after');
  }, 40_000);

  it('when PostgreSQL is not up as the store opens, then without waiting it fails fast with store.unavailable, and with a startup wait it opens once the server is up, logging each retry with its cause', async () => {
    // Arrange: a server that exists but is stopped.
    const later = await PostgresTestServer.start();
    await later.stop();
    const open = () => openPostgresStore({ url: later.url(), connectTimeoutMs: 500 });
    try {
      // Act / Assert: CLI commands do not wait.
      const first = await timed(codeOf(untilReachable(open, 0, warnings().logger)));
      expect(first.value).toBe('store.unavailable');
      expect(first.ms).toBeLessThan(2000);

      // Act: the daemon waits; the server comes up 1.5 s later.
      const { logger, lines } = warnings();
      const starting = timed(untilReachable(open, 30_000, logger));
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await later.start();
      const opened = await starting;

      // Assert
      const org = anOrg();
      await opened.value.createOrg(org, draft(org.id, 'org.created', org.id));
      expect((await opened.value.getOrg(org.id))?.id).toBe(org.id);
      await opened.value.close();
      expect(opened.ms).toBeGreaterThanOrEqual(1500);
      expect(lines.length).toBeGreaterThanOrEqual(1);
      expect(lines[0]!.message).toBe('PostgreSQL is not reachable yet; retrying');
      expect(String(lines[0]!.fields?.error)).toMatch(/PostgreSQL/i);
    } finally {
      await later.dispose();
    }
  }, 60_000);

  it('when the wait runs out, then the last store.unavailable is what start fails with', async () => {
    const later = await PostgresTestServer.start();
    await later.stop();
    try {
      const { logger, lines } = warnings();
      const out = await timed(codeOf(untilReachable(() => openPostgresStore({ url: later.url(), connectTimeoutMs: 300 }), 1200, logger)));
      expect(out.value).toBe('store.unavailable');
      expect(out.ms).toBeLessThan(5000);
      expect(lines.length).toBeGreaterThanOrEqual(1);
    } finally {
      await later.dispose();
    }
  }, 30_000);
});
