import { describe, expect, it } from '@jest/globals';
import type { ScimClient } from '../../domain/model.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

/** SCIM tokens, SCIM OAuth clients and admin keys. */
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

    it('when a token is read with its org for authentication, then every revocation, use and org change shows on the next read', async () => {
      const org = await h.newOrg();
      const tok = { id: 'a1', orgId: org.id, prefix: 'scim_abc', hash: 'hash-auth-a1', createdAt: '2026-01-01T00:00:00.000Z' };
      await h.store.createScimToken(tok, draft(org.id, 'scim_token.created', 'a1'), 2);
      expect(await h.store.findScimTokenWithOrg('hash-nobody')).toBeUndefined();
      const first = await h.store.findScimTokenWithOrg('hash-auth-a1');
      expect([first?.token.id, first?.org?.id, first?.org?.state ?? 'active']).toEqual(['a1', org.id, 'active']);
      // Read twice (a store may remember it), then each change must show at once.
      await h.store.findScimTokenWithOrg('hash-auth-a1');
      await h.store.touchScimToken(org.id, 'a1', '2026-01-02T10:00:00.000Z');
      expect((await h.store.findScimTokenWithOrg('hash-auth-a1'))?.token.lastUsedAt).toBe('2026-01-02T10:00:00.000Z');
      await h.store.updateOrg(org.id, (o) => ({
        next: { ...o, state: 'deleting', deletion: { requestedAt: '2026-01-03T00:00:00.000Z', purgeAt: '2026-02-02T00:00:00.000Z', by: { kind: 'cli', id: 'cli' } } },
        audit: draft(org.id, 'org.deleted', org.id),
      }));
      expect((await h.store.findScimTokenWithOrg('hash-auth-a1'))?.org?.state).toBe('deleting');
      await h.store.revokeScimToken(org.id, 'a1', '2026-01-04T00:00:00.000Z', draft(org.id, 'scim_token.revoked', 'a1'));
      expect((await h.store.findScimTokenWithOrg('hash-auth-a1'))?.token.revokedAt).toBe('2026-01-04T00:00:00.000Z');
    });

    it('when a SCIM token is used, then its lastUsedAt moves forward only, and a revoked token keeps its last use', async () => {
      const org = await h.newOrg();
      const tok = (id: string) => ({ id, orgId: org.id, prefix: 'scim_abc', hash: `hash-${id}`, createdAt: '2026-01-01T00:00:00.000Z' });
      await h.store.createScimToken(tok('u1'), draft(org.id, 'scim_token.created', 'u1'), 2);
      const headBefore = (await h.store.listAudit(org.id)).length;
      expect(await h.store.touchScimToken(org.id, 'u1', '2026-01-02T10:00:00.000Z')).toBe(true);
      expect((await h.store.findScimTokenByHash('hash-u1'))?.lastUsedAt).toBe('2026-01-02T10:00:00.000Z');
      expect(await h.store.touchScimToken(org.id, 'u1', '2026-01-02T09:00:00.000Z')).toBe(false);
      expect((await h.store.listScimTokens(org.id))[0]?.lastUsedAt).toBe('2026-01-02T10:00:00.000Z');
      expect(await h.store.touchScimToken('another-org', 'u1', '2026-01-03T00:00:00.000Z')).toBe(false);
      expect(await h.store.touchScimToken(org.id, 'nope', '2026-01-03T00:00:00.000Z')).toBe(false);
      await h.store.revokeScimToken(org.id, 'u1', '2026-01-04T00:00:00.000Z', draft(org.id, 'scim_token.revoked', 'u1'));
      expect(await h.store.touchScimToken(org.id, 'u1', '2026-01-05T00:00:00.000Z')).toBe(false);
      const after = await h.store.findScimTokenByHash('hash-u1');
      expect([after?.lastUsedAt, after?.revokedAt]).toEqual(['2026-01-02T10:00:00.000Z', '2026-01-04T00:00:00.000Z']);
      // Bookkeeping: the uses wrote no audit event (the revoke wrote one).
      expect((await h.store.listAudit(org.id)).length).toBe(headBefore + 1);
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

    const client = (id: string, orgId: string): ScimClient => ({
      id,
      orgId,
      secrets: [{ id: 's1', prefix: 'idsc_abc', hash: `hash-${id}-s1`, createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2027-01-01T00:00:00.000Z' }],
      createdAt: '2026-01-01T00:00:00.000Z',
      version: 1,
    });

    it('when SCIM clients are created in two orgs, then each is found by client id and listed in its own org only', async () => {
      const a = await h.newOrg();
      const b = await h.newOrg();
      await h.store.createScimClient(client(`${a.id}-c1`, a.id), draft(a.id, 'scim_client.created', `${a.id}-c1`));
      await h.store.createScimClient(client(`${a.id}-c2`, a.id), draft(a.id, 'scim_client.created', `${a.id}-c2`));
      await h.store.createScimClient(client(`${b.id}-c1`, b.id), draft(b.id, 'scim_client.created', `${b.id}-c1`));
      expect((await h.store.getScimClient(`${a.id}-c2`))?.orgId).toBe(a.id);
      expect((await h.store.getScimClient(`${b.id}-c1`))?.secrets[0]?.hash).toBe(`hash-${b.id}-c1-s1`);
      expect((await h.store.listScimClients(a.id)).map((c) => c.id)).toEqual([`${a.id}-c1`, `${a.id}-c2`]);
      expect((await h.store.listScimClients(b.id)).map((c) => c.id)).toEqual([`${b.id}-c1`]);
      expect(await h.store.getScimClient('no-such-client')).toBeUndefined();
    });

    it('when a SCIM client is created in a missing org, then it is refused and its id finds nothing', async () => {
      expect(await codeOf(h.store.createScimClient(client('orphan-client', 'no-such-org'), draft('no-such-org', 'scim_client.created', 'orphan-client')))).toBe('org.not_found');
      expect(await h.store.getScimClient('orphan-client')).toBeUndefined();
      expect(await codeOf(h.store.updateScimClient('orphan-client', () => null))).toBe('token.not_found');
    });

    it('when a SCIM client is updated, then the version is bumped, a stale ifVersion is refused and concurrent updates all apply', async () => {
      const org = await h.newOrg();
      const id = `${org.id}-rot`;
      await h.store.createScimClient(client(id, org.id), draft(org.id, 'scim_client.created', id));
      const addSecret = (n: number) => (c: ScimClient) => ({
        next: { ...c, secrets: [...c.secrets, { id: `s${n}`, prefix: 'idsc_x', hash: `hash-${id}-s${n}`, createdAt: '2026-02-01T00:00:00.000Z', expiresAt: '2027-02-01T00:00:00.000Z' }] },
        audit: draft(org.id, 'scim_client.secret_added', id),
      });
      const r = await h.store.updateScimClient(id, addSecret(2), { ifVersion: 1 });
      expect(r.changed).toBe(true);
      expect(r.record.version).toBe(2);
      expect(await codeOf(h.store.updateScimClient(id, addSecret(3), { ifVersion: 1 }))).toBe('version.mismatch');
      expect((await h.store.updateScimClient(id, () => null)).changed).toBe(false);
      await Promise.all([3, 4, 5].map((n) => h.store.updateScimClient(id, addSecret(n))));
      const after = await h.store.getScimClient(id);
      expect(after?.secrets.map((s) => s.id).sort()).toEqual(['s1', 's2', 's3', 's4', 's5']);
      expect(after?.version).toBe(5);
      const revoked = await h.store.updateScimClient(id, (c) => ({ next: { ...c, revokedAt: '2026-03-01T00:00:00.000Z' }, audit: draft(org.id, 'scim_client.revoked', id) }));
      expect((await h.store.getScimClient(id))?.revokedAt).toBe(revoked.record.revokedAt);
    });
  });
}
