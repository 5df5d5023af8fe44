import { describe, expect, it } from '@jest/globals';
import type { RoleMapping } from '../../domain/model.js';
import { draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const at = '2026-01-01T00:00:00.000Z';

function aMapping(orgId: string, overrides: Partial<RoleMapping> = {}): RoleMapping {
  const group = overrides.group ?? `group-${Math.random().toString(36).slice(2, 10)}`;
  return { id: `rm-${group}`, orgId, source: 'scim', group, role: 'admin', precedence: 0, createdAt: at, updatedAt: at, version: 1, ...overrides };
}

/** Role mappings (upstream group -> org role). */
export function roleMappingConformance(h: StoreHarness): void {
  describe('role mappings', () => {
    it('when mappings are created, then each goes with one audit event and they are listed in creation order, per org', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const a = aMapping(org.id, { group: 'Admins' });
      const b = aMapping(org.id, { group: 'owners@acme.example', source: 'google', role: 'owner', precedence: 5 });
      expect(await h.auditDelta(org.id, () => h.store.createRoleMapping(a, draft(org.id, 'role_mapping.created', a.id)))).toBe(1);
      await h.store.createRoleMapping(b, draft(org.id, 'role_mapping.created', b.id));
      // The same id in another org is another mapping.
      await h.store.createRoleMapping({ ...a, orgId: other.id }, draft(other.id, 'role_mapping.created', a.id));
      expect(await h.store.listRoleMappings(org.id)).toEqual([a, b]);
      expect(await h.store.getRoleMapping(org.id, b.id)).toEqual(b);
      expect(await h.store.getRoleMapping(org.id, 'nope')).toBeUndefined();
      expect(await h.store.listRoleMappings(other.id)).toEqual([{ ...a, orgId: other.id }]);
    });

    it('when one group is mapped twice at once, or in an org that does not exist, then the store refuses with a code and writes nothing more', async () => {
      const org = await h.newOrg();
      const m = aMapping(org.id);
      const results = await Promise.all(Array.from({ length: 10 }, () => codeOf(h.store.createRoleMapping(m, draft(org.id, 'role_mapping.created', m.id)))));
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'role_mapping.exists')).toHaveLength(9);
      expect(await h.store.listRoleMappings(org.id)).toHaveLength(1);
      expect((await h.store.listAudit(org.id)).filter((e) => e.action === 'role_mapping.created')).toHaveLength(1);
      expect(await codeOf(h.store.createRoleMapping(aMapping('missing-org'), draft('missing-org', 'role_mapping.created', 'x')))).toBe('org.not_found');
    });

    it('when a mapping is updated, then its version grows by one, a stale ifVersion is refused and a no-op writes nothing', async () => {
      const org = await h.newOrg();
      const m = aMapping(org.id);
      await h.store.createRoleMapping(m, draft(org.id, 'role_mapping.created', m.id));
      const res = await h.store.updateRoleMapping(org.id, m.id, (cur) => ({ next: { ...cur, role: 'member', precedence: 3 }, audit: draft(org.id, 'role_mapping.updated', m.id) }));
      expect(res).toMatchObject({ changed: true, record: { role: 'member', precedence: 3, version: 2 } });
      expect(await h.store.getRoleMapping(org.id, m.id)).toEqual(res.record);
      expect(await codeOf(h.store.updateRoleMapping(org.id, m.id, (cur) => ({ next: cur, audit: draft(org.id, 'role_mapping.updated', m.id) }), { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await h.auditDelta(org.id, () => h.store.updateRoleMapping(org.id, m.id, () => null))).toBe(0);
      expect(await codeOf(h.store.updateRoleMapping(org.id, 'nope', (cur) => ({ next: cur, audit: draft(org.id, 'role_mapping.updated', 'nope') })))).toBe('role_mapping.not_found');
    });

    it('when concurrent updates race, then none is lost', async () => {
      const org = await h.newOrg();
      const m = aMapping(org.id);
      await h.store.createRoleMapping(m, draft(org.id, 'role_mapping.created', m.id));
      await Promise.all(Array.from({ length: 15 }, () => h.store.updateRoleMapping(org.id, m.id, (cur) => ({ next: { ...cur, precedence: cur.precedence + 1 }, audit: draft(org.id, 'role_mapping.updated', m.id) }))));
      expect(await h.store.getRoleMapping(org.id, m.id)).toMatchObject({ precedence: 15, version: 16 });
    });

    it('when a mapping is deleted, then it is gone with one audit event, and a second delete is not found', async () => {
      const org = await h.newOrg();
      const a = aMapping(org.id);
      const b = aMapping(org.id);
      await h.store.createRoleMapping(a, draft(org.id, 'role_mapping.created', a.id));
      await h.store.createRoleMapping(b, draft(org.id, 'role_mapping.created', b.id));
      expect(await h.auditDelta(org.id, () => h.store.deleteRoleMapping(org.id, a.id, draft(org.id, 'role_mapping.deleted', a.id)))).toBe(1);
      expect(await h.store.listRoleMappings(org.id)).toEqual([b]);
      expect(await h.store.getRoleMapping(org.id, a.id)).toBeUndefined();
      expect(await codeOf(h.store.deleteRoleMapping(org.id, a.id, draft(org.id, 'role_mapping.deleted', a.id)))).toBe('role_mapping.not_found');
      // Deleted, the group may be mapped again.
      await h.store.createRoleMapping(a, draft(org.id, 'role_mapping.created', a.id));
      expect((await h.store.listRoleMappings(org.id)).map((x) => x.id)).toEqual([b.id, a.id]);
    });
  });
}
