import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Daemon } from '../../src/app/daemon.js';
import type { Member, Organization } from '../../src/domain/model.js';
import { cli, startTestDaemon, tempDir, testEnv } from '../support/harness.js';

describe('daemon on the embedded SQLite store, driven by the CLI', () => {
  let daemon: Daemon | undefined;
  afterEach(async () => {
    await daemon?.stop();
    daemon = undefined;
  });

  it('when an org is created through the CLI while the daemon runs, then the daemon serves it, and after a restart it is still there', async () => {
    // Arrange
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    daemon = await startTestDaemon(env, cwd);

    // Act: the CLI writes to the same store the running daemon uses.
    const created = await cli(env, cwd, 'orgs', 'create', '--name', 'Acme', '--json');
    const org = created.json<Organization>();
    const keyOut = await cli(env, cwd, 'admin-keys', 'create', '--json');
    const { key } = keyOut.json<{ key: string }>();

    // Assert
    expect(created.code).toBe(0);
    expect(org).toMatchObject({ name: 'Acme', settings: { inviteTtlHours: 72, pendingInviteCap: 50 } });
    expect(key).toMatch(/^idsync_ak_/);
    const listed = await fetch(`${daemon.url}/api/v1/orgs`, { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    expect(((await listed.json()) as { items: Organization[] }).items.map((o) => o.id)).toEqual([org.id]);

    await daemon.stop();
    daemon = await startTestDaemon(env, cwd);
    const again = await fetch(`${daemon.url}/api/v1/orgs/${org.id}`, { headers: { authorization: `Bearer ${key}` } });
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(org);
    expect((await cli(env, cwd, 'orgs', 'list', '--json')).json<Organization[]>().map((o) => o.id)).toEqual([org.id]);
  });

  it('when members are managed with the CLI, then list shows each status and the audit chain verifies', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Initech', '--json')).json<Organization>();
    const add = (email: string, ...more: string[]) => cli(env, cwd, 'members', 'add', '--org', org.id, '--email', email, ...more, '--json');

    const owner = (await add('boss@initech.example', '--first', 'Bill', '--last', 'Lumbergh', '--role', 'owner')).json<Member>();
    const peter = (await add('peter@initech.example', '--first', 'Peter')).json<Member>();
    const milton = (await add('milton@initech.example')).json<Member>();
    expect(owner).toMatchObject({ role: 'owner', status: 'active', name: { givenName: 'Bill', familyName: 'Lumbergh' } });

    expect((await cli(env, cwd, 'members', 'deactivate', peter.id, '--org', org.id, '--reason', 'on leave')).code).toBe(0);
    const removed = await cli(env, cwd, 'members', 'remove', 'MILTON@initech.example', 'nobody@initech.example', '--org', org.id, '--json');
    expect(removed.json()).toMatchObject({ removed: 1, removedIds: [milton.id], skipped: [{ id: 'nobody@initech.example', code: 'member.not_found' }] });
    expect(removed.code).toBe(1);

    const list = (await cli(env, cwd, 'members', 'list', '--org', org.id, '--json')).json<Member[]>();
    expect(list.map((m) => [m.userName, m.status])).toEqual([
      ['boss@initech.example', 'active'],
      ['peter@initech.example', 'inactive'],
      ['milton@initech.example', 'removed'],
    ]);
    const reactivate = await cli(env, cwd, 'members', 'activate', milton.id, '--org', org.id);
    expect(reactivate.code).toBe(1);
    expect(reactivate.stderr).toContain('member.removed');
    const lastOwner = await cli(env, cwd, 'members', 'remove', owner.id, '--org', org.id, '--json');
    expect(lastOwner.json()).toMatchObject({ removed: 0, skipped: [{ code: 'member.last_owner' }] });

    const table = await cli(env, cwd, 'members', 'list', '--org', org.id);
    expect(table.stdout).toMatch(/peter@initech\.example\s+Peter\s+member\s+inactive/);

    const verify = await cli(env, cwd, 'audit', 'verify', '--org', org.id);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/intact: 6 events/);
  });

  it('when a SCIM token is created, then it is printed once and never listed again', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Hooli', '--json')).json<Organization>();
    const created = await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id, '--json');
    const { token, id } = created.json<{ token: string; id: string }>();
    expect(token).toMatch(/^idsync_scim_/);
    const list = await cli(env, cwd, 'scim-tokens', 'list', '--org', org.id, '--json');
    expect(list.stdout).not.toContain(token);
    expect(list.json<{ id: string }[]>().map((t) => t.id)).toEqual([id]);
    expect((await cli(env, cwd, 'scim-tokens', 'revoke', id, '--org', org.id, '--json')).json()).toMatchObject({ id, revokedAt: expect.any(String) });
  });

  it('when teams are managed with the CLI, then members join and leave them by userName', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Teamwork', '--json')).json<Organization>();
    const m = (await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', 'tm@team.example', '--json')).json<Member>();
    const team = (await cli(env, cwd, 'teams', 'create', '--org', org.id, '--name', 'Platform', '--json')).json<{ id: string }>();
    expect((await cli(env, cwd, 'teams', 'create', '--org', org.id, '--name', 'PLATFORM')).stderr).toContain('team.name_taken');
    expect((await cli(env, cwd, 'teams', 'add', team.id, 'TM@team.example', '--org', org.id, '--json')).json()).toEqual({ added: [m.id] });
    expect((await cli(env, cwd, 'teams', 'remove', team.id, m.id, '--org', org.id, '--json')).json()).toEqual({ removed: [m.id] });
    expect((await cli(env, cwd, 'teams', 'list', '--org', org.id, '--json')).json<{ displayName: string }[]>().map((t) => t.displayName)).toEqual(['Platform']);
  });

  it('when the configuration is bad, then the CLI exits 2 naming every bad key', async () => {
    const cwd = tempDir();
    const r = await cli({ IDSYNC_PORT: '-1', IDSYNC_STORE: 'mongodb', IDSYNC_DATA_DIR: cwd }, cwd, 'orgs', 'list');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('server.port (IDSYNC_PORT)');
    expect(r.stderr).toContain('store (IDSYNC_STORE)');
  });

  it('when the SQLite file is not a database, then the error names the file', async () => {
    const cwd = tempDir();
    const data = join(cwd, 'data');
    const env = testEnv(data);
    await cli(env, cwd, 'orgs', 'list');
    writeFileSync(join(data, 'idsync.db'), 'this is not a database '.repeat(400));
    const r = await cli(env, cwd, 'orgs', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('store.corrupt');
    expect(r.stderr).toContain(join(data, 'idsync.db'));
    await expect(startTestDaemon(env, cwd)).rejects.toMatchObject({ code: 'store.corrupt' });
  });

  it('when another process holds the SQLite write lock, then a write fails after the busy timeout naming the file', async () => {
    const cwd = tempDir();
    const data = join(cwd, 'data');
    const env = testEnv(data, { IDSYNC_SQLITE_BUSY_TIMEOUT_MS: '200' });
    await cli(env, cwd, 'orgs', 'list');
    const holder = new Database(join(data, 'idsync.db'));
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const r = await cli(env, cwd, 'orgs', 'create', '--name', 'Blocked');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('store.unavailable');
      expect(r.stderr).toContain(join(data, 'idsync.db'));
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    expect((await cli(env, cwd, 'orgs', 'create', '--name', 'Unblocked')).code).toBe(0);
  });

  it('when an unknown org is named with --json, then a coded error is printed as JSON', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const r = await cli(env, cwd, 'members', 'list', '--org', 'nope', '--json');
    expect(r.code).toBe(1);
    expect(r.json()).toEqual({ error: { code: 'org.not_found', message: 'organization nope not found', details: { orgId: 'nope' } } });
  });
});
