import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

// The SQLite store remembers a SCIM token and its org between requests. The daemon shares its file
// with the CLI (and, in tests and imports, other connections): a revocation or an org's deletion
// made through another connection must show on the daemon's very next read.
describe('sqlite: token reads for authentication', () => {
  it('when another connection revokes the token, deletes the org or restores it, then the next read shows it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idsync-auth-reads-'));
    const path = join(dir, 'idsync.db');
    const daemon = openSqliteStore({ path });
    const cli = openSqliteStore({ path });
    try {
      const org = anOrg();
      await cli.createOrg(org, draft(org.id, 'org.created', org.id));
      for (const id of ['t1', 't2']) {
        await cli.createScimToken({ id, orgId: org.id, prefix: 'scim_abc', hash: `hash-${id}`, createdAt: '2026-01-01T00:00:00.000Z' }, draft(org.id, 'scim_token.created', id), 2);
      }
      // Remembered by the daemon's store (read twice, the second from memory).
      expect((await daemon.findScimTokenWithOrg('hash-t1'))?.token.revokedAt).toBeUndefined();
      const again = await daemon.findScimTokenWithOrg('hash-t1');
      expect(again).toBe(await daemon.findScimTokenWithOrg('hash-t1'));
      expect(Object.isFrozen(again?.token)).toBe(true);

      await cli.revokeScimToken(org.id, 't1', '2026-01-02T00:00:00.000Z', draft(org.id, 'scim_token.revoked', 't1'));
      expect((await daemon.findScimTokenWithOrg('hash-t1'))?.token.revokedAt).toBe('2026-01-02T00:00:00.000Z');

      expect((await daemon.findScimTokenWithOrg('hash-t2'))?.org?.state ?? 'active').toBe('active');
      await cli.updateOrg(org.id, (o) => ({
        next: { ...o, state: 'deleting', deletion: { requestedAt: '2026-01-03T00:00:00.000Z', purgeAt: '2026-02-02T00:00:00.000Z', by: { kind: 'cli', id: 'cli' } } },
        audit: draft(org.id, 'org.deleted', org.id),
      }));
      expect((await daemon.findScimTokenWithOrg('hash-t2'))?.org?.state).toBe('deleting');
      // The daemon's own write (a restore) shows too.
      await daemon.updateOrg(org.id, (o) => ({ next: { ...o, state: 'active', deletion: undefined }, audit: draft(org.id, 'org.restored', org.id) }));
      expect((await daemon.findScimTokenWithOrg('hash-t2'))?.org?.state).toBe('active');
    } finally {
      await daemon.close();
      await cli.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
