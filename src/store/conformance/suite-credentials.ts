import { describe, expect, it } from '@jest/globals';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

/** SCIM tokens and admin keys. */
export function credentialConformance(h: StoreHarness): void {
  describe('credentials', () => {
    it('when SCIM tokens are created, then they are found by hash, limited to two live, and revocable', async () => {
      const org = await h.newOrg();
      const tok = (id: string) => ({ id, orgId: org.id, prefix: 'scim_abc', hash: `hash-${id}`, createdAt: '2026-01-01T00:00:00.000Z' });
      await h.store.createScimToken(tok('t1'), draft(org.id, 'scim_token.created', 't1'), 2);
      await h.store.createScimToken(tok('t2'), draft(org.id, 'scim_token.created', 't2'), 2);
      expect(await codeOf(h.store.createScimToken(tok('t3'), draft(org.id, 'scim_token.created', 't3'), 2))).toBe('token.limit_reached');
      expect((await h.store.findScimTokenByHash('hash-t1'))?.id).toBe('t1');
      const revoked = await h.store.revokeScimToken(org.id, 't1', '2026-01-03T00:00:00.000Z', draft(org.id, 'scim_token.revoked', 't1'));
      expect(revoked.revokedAt).toBe('2026-01-03T00:00:00.000Z');
      expect((await h.store.findScimTokenByHash('hash-t1'))?.revokedAt).toBeDefined();
      await h.store.createScimToken(tok('t3'), draft(org.id, 'scim_token.created', 't3'), 2);
      expect((await h.store.listScimTokens(org.id)).map((t) => t.id)).toEqual(['t1', 't2', 't3']);
      expect(await codeOf(h.store.revokeScimToken(org.id, 'nope', 'x', draft(org.id, 'scim_token.revoked', 'nope')))).toBe('token.not_found');
    });

    it('when a credential is refused, then its hash finds nothing', async () => {
      const org = await h.newOrg();
      const tok = (id: string) => ({ id, orgId: org.id, prefix: 'scim_abc', hash: `hash-${id}`, createdAt: '2026-01-01T00:00:00.000Z' });
      expect(await codeOf(h.store.createScimToken(tok('t1'), draft(org.id, 'scim_token.created', 't1'), 0))).toBe('token.limit_reached');
      expect(await h.store.findScimTokenByHash('hash-t1')).toBeUndefined();
      expect(await h.store.listScimTokens(org.id)).toEqual([]);
      const key = { id: 'k9', orgId: 'no-such-org', prefix: 'idsk_abc', hash: 'h-k9', createdAt: '2026-01-01T00:00:00.000Z' };
      expect(await codeOf(h.store.createAdminKey(key, draft('no-such-org', 'admin_key.created', 'k9')))).toBe('org.not_found');
      expect(await h.store.findAdminKeyByHash('h-k9')).toBeUndefined();
      expect(await h.store.listAdminKeys()).toEqual([]);
      expect(await codeOf(h.store.revokeAdminKey('k9', '2026-01-05T00:00:00.000Z', draft('no-such-org', 'admin_key.revoked', 'k9')))).toBe('token.not_found');
    });

    it('when admin keys are created provider-wide and per org, then each is found by hash and listed by scope', async () => {
      const org = await h.newOrg();
      const key = (id: string, orgId?: string) => ({ id, ...(orgId ? { orgId } : {}), prefix: 'idsk_abc', hash: `h-${id}`, createdAt: '2026-01-01T00:00:00.000Z' });
      await h.store.createAdminKey(key('k1'), draft(PROVIDER_SCOPE, 'admin_key.created', 'k1'));
      await h.store.createAdminKey(key('k2', org.id), draft(org.id, 'admin_key.created', 'k2'));
      expect((await h.store.findAdminKeyByHash('h-k1'))?.orgId).toBeUndefined();
      expect((await h.store.findAdminKeyByHash('h-k2'))?.orgId).toBe(org.id);
      expect((await h.store.listAdminKeys()).map((k) => k.id)).toEqual(['k1', 'k2']);
      expect((await h.store.listAdminKeys(org.id)).map((k) => k.id)).toEqual(['k2']);
      const r = await h.store.revokeAdminKey('k2', '2026-01-05T00:00:00.000Z', draft(org.id, 'admin_key.revoked', 'k2'));
      expect(r.revokedAt).toBe('2026-01-05T00:00:00.000Z');
      expect((await h.store.findAdminKeyByHash('h-k2'))?.revokedAt).toBe('2026-01-05T00:00:00.000Z');
    });
  });
}
