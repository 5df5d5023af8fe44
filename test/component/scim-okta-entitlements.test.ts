import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

// Shapes from Okta's "Build a SCIM 2.0 server with entitlements" guide (Okta Identity Governance).
const ROLE = 'urn:okta:scim:schemas:core:1.0:Role';
const ENTITLEMENT = 'urn:okta:scim:schemas:core:1.0:Entitlement';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';

type List = { schemas: string[]; totalResults: number; startIndex: number; itemsPerPage: number; Resources: Record<string, unknown>[] };

describe.each(STORES)('Okta roles and entitlements on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let org: Organization;
  let n = 0;
  const teams: Record<string, string> = {};

  beforeAll(async () => {
    f = await scimFixture(kind);
    ({ scim, org } = await f.newOrg('Okta Governance'));
    for (const name of ['Engineering', 'Finance', 'Support', 'Platform Admins']) teams[name] = (await scim.post('/Groups', { schemas: [GROUP], displayName: name })).body.id as string;
  });
  afterAll(async () => f.dispose());

  const member = async (id: string) => (await f.daemon.store.getMember(org.id, id)) as Member;
  const teamsOf = async (id: string) => (await f.daemon.store.listMemberTeams(org.id, id)).sort();
  const ent = (name: string) => ({ value: teams[name], display: name, type: 'Entitlement' });
  const oktaUser = (userName: string, extra: Record<string, unknown>) => ({
    schemas: [USER],
    userName,
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    emails: [{ primary: true, value: userName, type: 'work' }],
    displayName: 'Barbara Jensen',
    active: true,
    ...extra,
  });

  it('when Okta reads /ResourceTypes and /Schemas, then Role and Entitlement are advertised with its schema URNs and endpoints', async () => {
    const types = await scim.get<List>('/ResourceTypes');
    expect(types.status).toBe(200);
    const byId = new Map(types.body.Resources.map((r) => [r.id, r]));
    expect(byId.get('Role')).toMatchObject({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'Role', name: 'Role', endpoint: '/Roles', schema: ROLE, meta: { resourceType: 'ResourceType' } });
    expect(byId.get('Entitlement')).toMatchObject({ id: 'Entitlement', name: 'Entitlement', endpoint: '/Entitlements', schema: ENTITLEMENT });
    expect(byId.has('User') && byId.has('Group')).toBe(true);
    expect(types.body.totalResults).toBe(types.body.Resources.length);
    expect((await scim.get('/ResourceTypes/Entitlement')).body).toMatchObject({ id: 'Entitlement', schema: ENTITLEMENT });
    const schemas = await scim.get<List>('/Schemas');
    expect(schemas.body.Resources.map((s) => s.id)).toEqual(expect.arrayContaining([ROLE, ENTITLEMENT, USER]));
    const role = await scim.get(`/Schemas/${ROLE}`);
    expect(role.status).toBe(200);
    expect((role.body.attributes as { name: string }[]).map((a) => a.name)).toEqual(['id', 'displayName', 'description']);
    expect((await scim.get('/ResourceTypes/Licence')).status).toBe(404);
  });

  it('when Okta lists /Roles, then the roles an IdP may assign come back as Role resources, paged by startIndex and count; owner only where the org allows it', async () => {
    const all = await scim.get<List>('/Roles');
    expect(all.body).toMatchObject({ schemas: [LIST], totalResults: 2, startIndex: 1, itemsPerPage: 2 });
    expect(all.body.Resources.map((r) => [r.id, r.displayName])).toEqual([['admin', 'Admin'], ['member', 'Member']]);
    expect(all.body.Resources[0]).toMatchObject({ schemas: [ROLE], meta: { resourceType: 'Role' } });
    const second = await scim.get<List>('/Roles?startIndex=2&count=1');
    expect(second.body).toMatchObject({ totalResults: 2, startIndex: 2, itemsPerPage: 1 });
    expect(second.body.Resources.map((r) => r.id)).toEqual(['member']);
    expect((await scim.get<List>('/Roles?startIndex=3&count=1')).body).toMatchObject({ totalResults: 2, itemsPerPage: 0, Resources: [] });
    expect((await scim.get('/Roles/admin')).body).toMatchObject({ id: 'admin', displayName: 'Admin' });
    expect((await scim.get('/Roles/owner')).status).toBe(404);
    expect((await scim.post('/Roles', { schemas: [ROLE], displayName: 'Auditor' })).status).toBe(405);
  });

  it("when Okta lists /Entitlements, then the org's teams come back as Entitlement resources, paged, and one by id", async () => {
    const page1 = await scim.get<List>('/Entitlements?startIndex=1&count=3');
    expect(page1.body).toMatchObject({ schemas: [LIST], totalResults: 4, startIndex: 1, itemsPerPage: 3 });
    expect(page1.body.Resources[0]).toEqual({
      schemas: [ENTITLEMENT],
      id: teams.Engineering,
      type: 'Entitlement',
      displayName: 'Engineering',
      meta: expect.objectContaining({ resourceType: 'Entitlement', location: expect.stringMatching(new RegExp(`/scim/v2/Entitlements/${teams.Engineering}$`)) }),
    });
    const page2 = await scim.get<List>('/Entitlements?startIndex=4&count=3');
    expect(page2.body.Resources.map((r) => r.displayName)).toEqual(['Platform Admins']);
    const seen = [...page1.body.Resources, ...page2.body.Resources].map((r) => r.id);
    expect(new Set(seen).size).toBe(4);
    expect((await scim.get(`/Entitlements/${teams.Finance}`)).body).toMatchObject({ id: teams.Finance, displayName: 'Finance', type: 'Entitlement' });
    expect((await scim.get('/Entitlements/no-such-team')).status).toBe(404);
    expect((await scim.get<List>('/Entitlements?filter=displayName%20eq%20%22finance%22')).body.Resources.map((r) => r.id)).toEqual([teams.Finance]);
  });

  it('when Okta creates a user with roles and entitlements, then the role and the team memberships are set, each audited with the SCIM token as actor', async () => {
    const res = await scim.post('/Users', oktaUser(`okta${++n}@gov.example`, { roles: [{ value: 'admin', display: 'Admin' }], entitlements: [ent('Engineering'), ent('Finance')] }));
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    expect(await member(id)).toMatchObject({ role: 'admin', roleSource: { kind: 'idp', source: 'scim' } });
    expect(await teamsOf(id)).toEqual([teams.Engineering, teams.Finance].sort());
    expect(res.body.entitlements).toEqual([ent('Engineering'), ent('Finance')]);
    const added = (await f.daemon.store.listAudit(org.id, { limit: 10_000 })).filter((e) => e.action === 'team.members_added' && (e.after as { added?: string[] }).added?.includes(id));
    expect(added.map((e) => e.target.id).sort()).toEqual([teams.Engineering, teams.Finance].sort());
    expect(added.every((e) => e.actor.kind === 'scim')).toBe(true);
  });

  it('when Okta PATCHes entitlements (add, then remove by value filter), then the teams follow; a team joined by a group push is left alone', async () => {
    const id = (await scim.post('/Users', oktaUser(`okta${++n}@gov.example`, { entitlements: [ent('Engineering')] }))).body.id as string;
    await scim.patch(`/Groups/${teams.Support}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] });
    const add = await scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'entitlements', value: [ent('Finance')] }] });
    expect(add.status).toBe(200);
    expect(await teamsOf(id)).toEqual([teams.Engineering, teams.Finance, teams.Support].sort());
    const remove = await scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `entitlements[value eq "${teams.Engineering}"]` }] });
    expect(remove.status).toBe(200);
    expect(await teamsOf(id)).toEqual([teams.Finance, teams.Support].sort());
    expect(remove.body.entitlements).toEqual([ent('Finance')]);
    // A PUT (Okta's full update) with no entitlements drops what Okta had sent, not the pushed group.
    const put = await scim.put(`/Users/${id}`, oktaUser((await member(id)).userName, {}));
    expect(put.status).toBe(200);
    expect(await teamsOf(id)).toEqual([teams.Support]);
  });

  it('when an entitlement names no team, then the write is refused with 400 invalidValue and nothing changes', async () => {
    const userName = `okta${++n}@gov.example`;
    const res = await scim.post('/Users', oktaUser(userName, { entitlements: [{ value: 'gone-team', display: 'Gone', type: 'Entitlement' }] }));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ scimType: 'invalidValue', detail: expect.stringContaining('"gone-team"') });
    expect(await f.daemon.store.findMemberByUserName(org.id, userName)).toBeUndefined();
    // Entitlements of another type (a license from another resource type) name no team and are kept as sent.
    const other = await scim.post('/Users', oktaUser(userName, { entitlements: [{ value: 'lic-1', display: 'Pro', type: 'License' }] }));
    expect(other.status).toBe(201);
    expect(await teamsOf(other.body.id as string)).toEqual([]);
  });

  it('when a mapping names a team Okta grants as an entitlement, then the mapping wins over the role Okta sends, and dropping the entitlement falls back to it', async () => {
    await f.daemon.services.roleMappings.set(org.id, { source: 'scim', group: 'Platform Admins', role: 'admin' }, { kind: 'cli' });
    const userName = `okta${++n}@gov.example`;
    const id = (await scim.post('/Users', oktaUser(userName, { roles: [{ value: 'member', display: 'Member' }], entitlements: [ent('Platform Admins')] }))).body.id as string;
    expect(await member(id)).toMatchObject({ role: 'admin', roleSource: { kind: 'mapping', group: 'Platform Admins' } });
    await scim.put(`/Users/${id}`, oktaUser(userName, { roles: [{ value: 'member', display: 'Member' }] }));
    expect(await member(id)).toMatchObject({ role: 'member', roleSource: { kind: 'idp', source: 'scim' } });
  });
});
