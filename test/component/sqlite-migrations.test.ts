import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { userNameKey } from '../../src/domain/keys.js';
import type { Member } from '../../src/domain/model.js';
import { aMember, anOrg } from '../../src/store/conformance/fixtures.js';
import { MIGRATIONS } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

describe('sqlite migrations', () => {
  it('when a version-1 database with linked members is opened, then migration 2 applies and indexes the identities of live members', async () => {
    // Arrange: a file as idsync with only the first migration left it.
    const dir = mkdtempSync(join(tmpdir(), 'idsync-migrate-'));
    const path = join(dir, 'idsync.db');
    const org = anOrg();
    const live = aMember(org.id, { identities: [{ provider: 'google', subject: 'g-1' }, { provider: 'github', subject: '42' }] });
    const removed = aMember(org.id, { status: 'removed', identities: [{ provider: 'microsoft', subject: 'oid-9' }] });
    const v1 = new Database(path);
    v1.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    v1.exec(MIGRATIONS[0]!.sql);
    v1.prepare('INSERT INTO schema_migrations VALUES (1, ?, ?)').run(MIGRATIONS[0]!.name, new Date().toISOString());
    v1.prepare('INSERT INTO orgs (id, version, data) VALUES (?, 1, ?)').run(org.id, JSON.stringify(org));
    const insert = v1.prepare('INSERT INTO members (id, org_id, user_name_key, status, role, version, data) VALUES (?, ?, ?, ?, ?, 1, ?)');
    for (const m of [live, removed] as Member[]) insert.run(m.id, org.id, userNameKey(m.userName), m.status, m.role, JSON.stringify(m));
    v1.close();

    // Act
    const store = openSqliteStore({ path });
    try {
      // Assert
      expect((await store.findMemberByIdentity(org.id, 'google', 'g-1'))?.id).toBe(live.id);
      expect((await store.findMemberByIdentity(org.id, 'github', '42'))?.id).toBe(live.id);
      expect(await store.findMemberByIdentity(org.id, 'microsoft', 'oid-9')).toBeUndefined();
      expect(await store.getMember(org.id, live.id)).toEqual(live);
      expect(await store.listInvitations(org.id)).toEqual({ items: [], total: 0 });
    } finally {
      await store.close();
    }
    const after = new Database(path, { readonly: true });
    expect((after.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as { version: number }[]).map((r) => r.version)).toEqual(
      MIGRATIONS.map((m) => m.version),
    );
    after.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
