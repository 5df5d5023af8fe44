import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

const ENTRA_ROLE = 'WindowsAzureActiveDirectoryRole';
const entraRoles = (value: string, primary = 'True') => [{ primary, type: ENTRA_ROLE, value }];

describe.each(STORES)('roles as Entra sends them on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let org: Organization;
  let n = 0;

  beforeAll(async () => {
    f = await scimFixture(kind);
    ({ scim, org } = await f.newOrg('Entra Roles'));
  });
  afterAll(async () => f.dispose());

  const member = async (id: string) => (await f.daemon.store.getMember(org.id, id)) as Member;
  const patch = (id: string, Operations: unknown[]) => scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations });
  const create = async (roles?: unknown) => (await scim.post('/Users', { schemas: [USER], userName: `e${++n}@entra.example`, active: 'True', ...(roles ? { roles } : {}) })).body;

  it('when Entra provisions a user with an app role (string booleans), then the role is set by its value, case-insensitively, from the identity provider', async () => {
    const body = await create(entraRoles('Admin'));
    expect(body.roles).toEqual([{ primary: true, type: ENTRA_ROLE, value: 'Admin' }]);
    expect(await member(body.id as string)).toMatchObject({ role: 'admin', roleSource: { kind: 'idp', source: 'scim' } });
    const [event] = (await f.daemon.store.listAudit(org.id, { limit: 10_000 })).filter((e) => e.target.id === body.id && e.action === 'member.role_changed');
    expect(event).toMatchObject({ source: 'scim', reason: 'role sent by the identity provider (roles value "Admin")', evidence: { kind: 'idpRole', value: 'Admin', type: ENTRA_ROLE } });
  });

  it("when Entra PATCHes roles in its own shapes (capitalised op, Add then Remove), then the role follows, and with no role left it falls back to the default", async () => {
    const id = (await create()).id as string;
    expect((await member(id)).role).toBe('member');
    expect((await patch(id, [{ op: 'Add', path: 'roles', value: entraRoles('Admin') }])).status).toBe(200);
    expect((await member(id)).role).toBe('admin');
    // A new primary assignment added beside the old one wins (RFC 7643 §2.4: one primary, the last sent).
    await patch(id, [{ op: 'Add', path: 'roles', value: entraRoles('Member') }]);
    expect((await member(id)).role).toBe('member');
    await patch(id, [{ op: 'Replace', path: 'roles', value: entraRoles('admin') }]);
    expect((await member(id)).role).toBe('admin');
    // Entra removes an assignment by value.
    await patch(id, [{ op: 'Remove', path: 'roles', value: entraRoles('admin') }]);
    expect(await member(id)).toMatchObject({ role: 'member', roleSource: { kind: 'default' } });
  });

  it('when a PUT carries roles, then they set the role; a value naming no org role changes nothing; owner needs the org to allow it', async () => {
    const created = await create();
    const id = created.id as string;
    const put = (roles: unknown) => scim.put(`/Users/${id}`, { schemas: [USER], userName: created.userName, roles });
    expect((await put(entraRoles('ADMIN'))).status).toBe(200);
    expect((await member(id)).role).toBe('admin');
    await put(entraRoles('Reader'));
    expect((await member(id)).role).toBe('admin');
    await put(entraRoles('Owner'));
    expect((await member(id)).role).toBe('admin');
  });

  it('when a mapping governs the member, then the mapping wins and the role the IdP sends is ignored; leaving the group falls back to the IdP role', async () => {
    await f.daemon.services.roleMappings.set(org.id, { source: 'scim', group: 'Readers', role: 'member' }, { kind: 'cli' });
    const id = (await create(entraRoles('Admin'))).id as string;
    expect((await member(id)).role).toBe('admin');
    const g = (await scim.post('/Groups', { schemas: [GROUP], displayName: 'Readers', members: [{ value: id }] })).body.id as string;
    expect(await member(id)).toMatchObject({ role: 'member', roleSource: { kind: 'mapping', group: 'Readers' } });
    await patch(id, [{ op: 'Replace', path: 'roles', value: entraRoles('Admin') }]);
    expect((await member(id)).role).toBe('member');
    await scim.patch(`/Groups/${g}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ value: id }] }] });
    expect(await member(id)).toMatchObject({ role: 'admin', roleSource: { kind: 'idp' } });
  });
});
