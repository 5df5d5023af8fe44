import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ScimLogEntry } from '../../src/domain/scim-log.js';
import type { Store } from '../../src/ports/store.js';
import { PROVIDER_SCOPE } from '../../src/ports/store/types.js';
import { anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { pagesOf } from '../../src/store/sqlite/scim-log-pages.js';
import { ScimLogThread } from '../../src/store/sqlite/scim-log-thread.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const entry = (orgId: string, i: number): ScimLogEntry => ({
  orgId,
  at: new Date(Date.UTC(2026, 11, 5, 4, 0, i)).toISOString(),
  method: 'GET',
  path: `/Users?filter=userName%20eq%20%22u${i}%40example.com%22`,
  status: 200,
  latencyMs: 1.5,
  idp: 'okta',
  credential: { id: 'tok-1' },
  resource: { type: 'Users' },
});

describe('SQLite SCIM request log: its own file and writer thread', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
    store = undefined;
  });

  async function fileStore() {
    const path = join(mkdtempSync(join(tmpdir(), 'idsync-logthread-')), 'idsync.db');
    store = openSqliteStore({ path, busyTimeoutMs: 5000 });
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));
    return { path, store, org };
  }

  it("when another connection holds the log file's write lock, then an append waits for it off the event loop (timers keep firing, store writes go through) and lands once the lock is free", async () => {
    const { path, store: s, org } = await fileStore();
    const holder = new Database(`${path}-scimlog`);
    holder.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    try {
      const appended = s.appendScimLog([entry(org.id, 1), entry(org.id, 2)]);
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(ticks).toBeGreaterThanOrEqual(10);
      const other = anOrg();
      await s.createOrg(other, draft(other.id, 'org.created', other.id));
      expect(await s.getOrg(other.id)).toMatchObject({ id: other.id });
      holder.exec('COMMIT');
      await appended;
    } finally {
      clearInterval(timer);
      holder.close();
    }
    expect((await s.listScimLog(org.id, { limit: 10 })).items.map((e) => e.path)).toEqual([entry(org.id, 2).path, entry(org.id, 1).path]);
  });

  it('when the log table is away, then an append rejects with the cause, and once it is back the next append is written', async () => {
    const { path, store: s, org } = await fileStore();
    const other = new Database(`${path}-scimlog`);
    other.exec('ALTER TABLE scim_log_pages RENAME TO scim_log_away');

    await expect(s.appendScimLog([entry(org.id, 1)])).rejects.toThrow(/scim_log_pages/);
    other.exec('ALTER TABLE scim_log_away RENAME TO scim_log_pages');
    other.close();
    await s.appendScimLog([entry(org.id, 2)]);

    expect((await s.listScimLog(org.id, { limit: 10 })).items.map((e) => e.path)).toEqual([entry(org.id, 2).path]);
  });

  it('when the store closes with batches in flight, then they are written first, and the file opens again with all of them', async () => {
    const { path, store: s, org } = await fileStore();
    const batches = Array.from({ length: 5 }, (_, b) => s.appendScimLog(Array.from({ length: 100 }, (_, i) => entry(org.id, b * 100 + i))));

    await s.close();
    store = undefined;
    await Promise.all(batches);
    const again = openSqliteStore({ path });
    try {
      expect((await again.listScimLog(org.id, { limit: 1000 })).items).toHaveLength(500);
    } finally {
      await again.close();
    }
  });

  it('when a store of an earlier version holds log entries in its own file, then opening it moves them to the log file, newest first as before, and the store file no longer has the table', async () => {
    const { path, store: s, org } = await fileStore();
    await s.close();
    store = undefined;
    // Back to version 19: the log's table in the store file, with two entries.
    const old = new Database(path);
    old.exec(`
      CREATE TABLE scim_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, at_ms INTEGER NOT NULL, method TEXT NOT NULL, status INTEGER NOT NULL, resource_type TEXT, data TEXT NOT NULL);
      DELETE FROM schema_migrations WHERE version = 20;
    `);
    const insert = old.prepare('INSERT INTO scim_log (org_id, at_ms, method, status, resource_type, data) VALUES (?, ?, ?, ?, ?, ?)');
    for (const e of [entry(org.id, 1), entry(org.id, 2)]) insert.run(e.orgId, Date.parse(e.at), e.method, e.status, 'Users', JSON.stringify(e));
    old.close();

    store = openSqliteStore({ path });

    expect((await store.listScimLog(org.id, { limit: 10 })).items.map((e) => e.path)).toEqual([entry(org.id, 2).path, entry(org.id, 1).path]);
    const after = new Database(path, { readonly: true });
    try {
      expect(after.prepare("SELECT name FROM sqlite_master WHERE name = 'scim_log'").all()).toEqual([]);
      expect(after.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toEqual({ v: 20 });
    } finally {
      after.close();
    }
  });

  it('when an org is purged, then its log entries go with it and another org keeps its own', async () => {
    const { store: s, org } = await fileStore();
    const other = anOrg();
    await s.createOrg(other, draft(other.id, 'org.created', other.id));
    await s.appendScimLog([entry(org.id, 1), entry(other.id, 2)]);

    const at = new Date().toISOString();
    await s.purgeOrg({ orgId: org.id, name: org.name, deletionRequestedAt: at, purgeAt: at, purgedAt: at }, draft(PROVIDER_SCOPE, 'org.purged', org.id));

    expect((await s.listScimLog(org.id, { limit: 10 })).items).toEqual([]);
    expect((await s.listScimLog(other.id, { limit: 10 })).items).toHaveLength(1);
  });

  it('when the writer thread has had nothing to write for its idle time, then it ends, and the next batch starts another', async () => {
    const { path, store: s, org } = await fileStore();
    const thread = new ScimLogThread(`${path}-scimlog`, 5000, 100);

    await thread.append(pagesOf([entry(org.id, 1)]));
    expect(thread.running).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(thread.running).toBe(false);
    await thread.append(pagesOf([entry(org.id, 2)]));
    await thread.close();

    expect((await s.listScimLog(org.id, { limit: 10 })).items).toHaveLength(2);
    expect(thread.running).toBe(false);
  });
});
