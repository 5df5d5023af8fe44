import { describe, expect, it } from '@jest/globals';
import { idpFromUserAgent, redactBody, redactPath, REQUEST_BODY_MAX, TRUNCATED_MARKER, type ScimLogEntry } from '../../src/domain/scim-log.js';
import type { Logger } from '../../src/ports/logger.js';
import type { ScimLogStore } from '../../src/ports/store.js';
import { ScimLogRecorder } from '../../src/services/scim-log/recorder.js';
import { ScimLogService } from '../../src/services/scim-log/service.js';
import { anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const entry = (i: number, at = '2026-01-10T00:00:00.000Z'): ScimLogEntry => ({ orgId: 'o1', at, method: 'GET', path: `/Users/${i}`, status: 200, latencyMs: 1, idp: 'okta' });

function recordingLogger() {
  const lines: { level: string; message: string }[] = [];
  const logger: Logger = {
    error: (message) => lines.push({ level: 'error', message }),
    warn: (message) => lines.push({ level: 'warn', message }),
    info: (message) => lines.push({ level: 'info', message }),
    debug: (message) => lines.push({ level: 'debug', message }),
    child: () => logger,
  };
  return { logger, lines };
}

describe('SCIM log redaction and IdP detection', () => {
  it('when User-Agents of Okta, Entra (old and new) and others come in, then each names its IdP', () => {
    expect(idpFromUserAgent('Okta SCIM Client 1.0.0')).toBe('okta');
    expect(idpFromUserAgent('Microsoft.Identity.Provisioning.Scim/1.0')).toBe('entra');
    expect(idpFromUserAgent('Microsoft Azure AD SCIM Client')).toBe('entra');
    expect(idpFromUserAgent('OneLogin SCIM')).toBe('onelogin');
    expect(idpFromUserAgent('curl/8.5.0')).toBe('other');
    expect(idpFromUserAgent(undefined)).toBe('other');
  });

  it('when a path carries a token in its query, then the value is replaced and the rest is kept as sent', () => {
    expect(redactPath('/Users?filter=userName%20eq%20%22a%22&access_token=abc.def&count=5')).toBe('/Users?filter=userName%20eq%20%22a%22&access_token=[redacted]&count=5');
    expect(redactPath('/Users?Token=x&client_secret=y')).toBe('/Users?Token=[redacted]&client_secret=[redacted]');
    expect(redactPath('/Users/abc')).toBe('/Users/abc');
    expect(redactPath('/Users?count=1&access%5Ftoken=abc')).toBe('/Users?count=1&access%5Ftoken=[redacted]');
    expect(redactPath('/Users?filter=userName%20eq%20%22key%3Dx%22')).toBe('/Users?filter=userName%20eq%20%22key%3Dx%22');
  });

  it('when a body holds passwords at any depth, in any schema URN, or as a PATCH value, then they are dropped and nothing else is', () => {
    const body = {
      userName: 'a',
      password: 'p1',
      'urn:ietf:params:scim:schemas:core:2.0:User:password': 'p2',
      Operations: [
        { op: 'replace', path: 'password', value: 'p3' },
        { op: 'replace', value: { password: 'p4', active: false } },
        { op: 'Bulk', data: { nested: [{ password: 'p5', keep: 1 }] } },
      ],
    };
    const text = redactBody(body)!;
    expect(text).not.toMatch(/p[1-5]"/);
    expect(JSON.parse(text)).toEqual({ userName: 'a', Operations: [{ op: 'replace', path: 'password' }, { op: 'replace', value: { active: false } }, { op: 'Bulk', data: { nested: [{ keep: 1 }] } }] });
    expect(redactBody({})).toBeUndefined();
    expect(redactBody(undefined)).toBeUndefined();
  });

  it('when a body is larger than the bound, then it is cut below the bound (on a character boundary) with a marker', () => {
    const text = redactBody({ displayName: 'é'.repeat(REQUEST_BODY_MAX) })!;
    expect(text.endsWith(TRUNCATED_MARKER)).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(REQUEST_BODY_MAX);
    expect(text).not.toContain('\uFFFD');
  });
});

describe('SCIM log recorder', () => {
  it('when a full batch is recorded, then it is written without waiting for the timer, in batches of the configured size', async () => {
    const batches: number[] = [];
    const store: ScimLogStore = { appendScimLog: async (e) => void batches.push(e.length), listScimLog: async () => ({ items: [], next: null }), pruneScimLog: async () => 0 };
    const rec = new ScimLogRecorder({ store, logger: recordingLogger().logger, batchSize: 10, flushMs: 60_000 });
    for (let i = 0; i < 25; i++) rec.record(entry(i));
    await new Promise((r) => setImmediate(r));
    await rec.flush();
    expect(batches).toEqual([10, 10, 5]);
    expect(rec.pending).toBe(0);
    await rec.stop();
  });

  it('when a flush holds several batches, then requests waiting on I/O run between them (the loop is never held for more than one batch)', async () => {
    const order: string[] = [];
    const store: ScimLogStore = { appendScimLog: async (e) => void order.push(`batch ${e.length}`), listScimLog: async () => ({ items: [], next: null }), pruneScimLog: async () => 0 };
    const rec = new ScimLogRecorder({ store, logger: recordingLogger().logger, batchSize: 10, flushMs: 60_000 });
    for (let i = 0; i < 30; i++) rec.record(entry(i));
    const flushed = rec.flush();
    // Work that arrived while the first batch was written: an I/O callback's turn.
    setImmediate(() => order.push('request'));
    await flushed;
    expect(order).toEqual(['batch 10', 'request', 'batch 10', 'batch 10']);
    await rec.stop();
  });

  it('when no batch size is given, then a batch is at most 1000 entries (a store pays per batch; the SQLite page is made on the event loop)', async () => {
    const batches: number[] = [];
    const store: ScimLogStore = { appendScimLog: async (e) => void batches.push(e.length), listScimLog: async () => ({ items: [], next: null }), pruneScimLog: async () => 0 };
    const rec = new ScimLogRecorder({ store, logger: recordingLogger().logger, flushMs: 60_000 });
    for (let i = 0; i < 2500; i++) rec.record(entry(i));
    await rec.stop();
    expect(batches).toEqual([1000, 1000, 500]);
  });

  it('when items are recorded with entryOf, then each becomes its entry only as its batch is written, and one that cannot be made is left out and logged while the rest are written', async () => {
    const { logger, lines } = recordingLogger();
    const written: ScimLogEntry[] = [];
    const store: ScimLogStore = { appendScimLog: async (e) => void written.push(...e), listScimLog: async () => ({ items: [], next: null }), pruneScimLog: async () => 0 };
    const made: number[] = [];
    const rec = new ScimLogRecorder<number>({
      store,
      logger,
      batchSize: 10,
      flushMs: 60_000,
      entryOf: (i) => {
        if (i === 2) throw new Error('no entry for 2');
        made.push(i);
        return entry(i);
      },
    });
    for (let i = 0; i < 4; i++) rec.record(i);
    expect(made).toEqual([]);
    await rec.flush();
    expect(made).toEqual([0, 1, 3]);
    expect(written.map((e) => e.path)).toEqual(['/Users/0', '/Users/1', '/Users/3']);
    expect(rec.pending).toBe(0);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual(['SCIM request log entries could not be built; they are left out']);
    await rec.stop();
  });

  it("when the org bound is configured, then every batch carries it, so a store in memory trims as it appends", async () => {
    const bounds: unknown[] = [];
    const store: ScimLogStore = { appendScimLog: async (_e, opts) => void bounds.push(opts), listScimLog: async () => ({ items: [], next: null }), pruneScimLog: async () => 0 };
    const rec = new ScimLogRecorder({ store, logger: recordingLogger().logger, batchSize: 10, flushMs: 60_000, maxPerOrg: 100_000 });
    for (let i = 0; i < 15; i++) rec.record(entry(i));
    await rec.stop();
    expect(bounds).toEqual([{ maxPerOrg: 100_000 }, { maxPerOrg: 100_000 }]);
  });

  it('when the store keeps refusing, then entries past the buffer bound are dropped oldest first and counted, the failure is logged once, and stop reports what it could not write', async () => {
    const { logger, lines } = recordingLogger();
    let failed = 0;
    let dropped = 0;
    let refuse = true;
    const written: ScimLogEntry[] = [];
    const store: ScimLogStore = {
      appendScimLog: async (e) => {
        if (refuse) throw new Error('store down');
        written.push(...e);
      },
      listScimLog: async () => ({ items: [], next: null }),
      pruneScimLog: async () => 0,
    };
    const rec = new ScimLogRecorder({ store, logger, batchSize: 5, flushMs: 60_000, maxBuffered: 8, onFlushFailed: (n) => (failed += n), onDropped: (n) => (dropped += n) });
    for (let i = 0; i < 12; i++) {
      rec.record(entry(i));
      await rec.flush();
    }
    expect(rec.pending).toBe(8);
    expect(dropped).toBe(4);
    expect(failed).toBeGreaterThan(0);
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    refuse = false;
    await rec.stop();
    expect(written.map((e) => e.path)).toEqual([4, 5, 6, 7, 8, 9, 10, 11].map((i) => `/Users/${i}`));
    expect(lines.filter((l) => l.message === 'SCIM request log is written again')).toHaveLength(1);
  });
});

describe('SCIM log retention', () => {
  it('when the clock passes the retention days, then prune drops what is older, and keeps only the newest maxPerOrg', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));
    let now = new Date('2026-03-01T00:00:00.000Z');
    const { logger } = recordingLogger();
    const service = new ScimLogService({ store, logger, clock: { now: () => now } }, { days: 30, maxPerOrg: 3 });
    const at = (days: number) => new Date(Date.parse('2026-03-01T00:00:00.000Z') + days * 86_400_000).toISOString();
    await store.appendScimLog([0, 1, 2, 3, 4, 5].map((d) => ({ ...entry(d, at(d)), orgId: org.id })));

    expect(await service.prune()).toBe(3);
    expect((await service.list(org.id, {})).items.map((e) => e.path)).toEqual(['/Users/5', '/Users/4', '/Users/3']);
    now = new Date(at(33.5));
    expect(await service.prune()).toBe(1);
    expect((await service.list(org.id, { since: '1d' })).items).toEqual([]);
    expect((await service.list(org.id, {})).items.map((e) => e.path)).toEqual(['/Users/5', '/Users/4']);
    const off = new ScimLogService({ store, logger, clock: { now: () => new Date('2027-01-01') } }, { days: 0, maxPerOrg: 3 });
    expect(await off.prune()).toBe(0);
    await store.close();
  });
});
