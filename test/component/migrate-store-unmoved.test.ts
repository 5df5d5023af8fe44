import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { Organization } from '../../src/domain/model.js';
import { cli, tempDir, testEnv } from '../support/harness.js';

describe('idsync migrate-store with records of kinds it cannot move', () => {
  it('when the SQLite source holds role mappings and signing keys, then the dry run names them and a real run refuses with store.not_movable, writing nothing', async () => {
    // Arrange: a SQLite installation with two role mappings and two SET signing keys.
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Mapped', '--json')).json<Organization>();
    for (const group of ['admins', 'staff']) {
      const set = await cli(env, cwd, 'role-mappings', 'set', '--org', org.id, '--source', 'scim', '--group', group, '--role', group === 'admins' ? 'admin' : 'member');
      expect(set.stderr).toBe('');
      expect(set.code).toBe(0);
    }
    for (let i = 0; i < 2; i++) expect((await cli(env, cwd, 'ssf', 'rotate-key')).code).toBe(0);
    const path = join(cwd, 'moved', 'idsync.db');

    // Act
    const dry = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--dry-run', '--json');
    const real = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path);

    // Assert: the dry run counts them and is not ok; the real run refuses, naming each kind and count.
    expect(dry.code).toBe(1);
    const summary = dry.json<MigrateSummary>();
    expect(summary).toMatchObject({ dryRun: true, ok: false, unmoved: { roleMapping: 2, signalKey: 2 }, source: { org: 1 } });
    expect(Object.keys(summary.unmoved).sort()).toEqual(['roleMapping', 'signalKey']);
    expect(summary.notMoved).toEqual(expect.arrayContaining(['console sessions', 'portal links', 'leases', 'SCIM request log']));
    expect(real.code).not.toBe(0);
    expect(real.stderr).toMatch(/store\.not_movable/);
    expect(real.stderr).toMatch(/2 roleMapping, 2 signalKey/);
    expect(existsSync(path)).toBe(false);
  });

  it('when the source holds none of them, then the dry run is ok and still says what is never moved', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    await cli(env, cwd, 'orgs', 'create', '--name', 'Plain');
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', join(cwd, 'x.db'), '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/not moved \(short-lived\): console sessions, portal links, leases, SCIM request log/);
    expect(r.stdout).not.toMatch(/CANNOT MOVE/);
  });
});
