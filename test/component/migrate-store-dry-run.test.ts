import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { Organization } from '../../src/domain/model.js';
import { cli, tempDir, testEnv } from '../support/harness.js';

describe('idsync migrate-store --dry-run', () => {
  it('when the SQLite source holds role mappings and signing keys, then the dry run counts them with the rest, writes nothing and names what is never moved', async () => {
    // Arrange: a SQLite installation with two role mappings and two SET signing keys.
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Mapped', '--json')).json<Organization>();
    for (const [group, role] of [['admins', 'admin'], ['staff', 'member']]) {
      const set = await cli(env, cwd, 'role-mappings', 'set', '--org', org.id, '--source', 'scim', '--group', group!, '--role', role!);
      expect(set.stderr).toBe('');
    }
    for (let i = 0; i < 2; i++) expect((await cli(env, cwd, 'ssf', 'rotate-key')).code).toBe(0);
    const path = join(cwd, 'moved', 'idsync.db');

    // Act
    const json = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--dry-run', '--json');
    const text = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--dry-run');

    // Assert
    expect(json.code).toBe(0);
    const summary = json.json<MigrateSummary>();
    expect(summary).toMatchObject({ dryRun: true, ok: true, source: { org: 1, roleMapping: 2, signalKey: 2, signalStream: 0, signalSet: 0, merge: 0 } });
    expect(summary.notMoved).toEqual(['console sessions', 'portal links', 'leases', 'SCIM request log', 'delivered and failed SETs', 'audit chain verifications']);
    expect(existsSync(path)).toBe(false);
    expect(text.stdout).toMatch(/roleMapping\s+2\n/);
    expect(text.stdout).toMatch(/not moved: console sessions, portal links, leases, SCIM request log, delivered and failed SETs, audit chain verifications/);
  });
});
