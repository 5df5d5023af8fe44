import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ENTERPRISE, GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

/**
 * The request sequences Okta and Microsoft Entra ID document for SCIM 2.0, replayed as an IdP sends
 * them (bodies as published, identifiers generated), against the real daemon on both stores.
 * Sources: Okta "SCIM 2.0 Spec Test" / "Test your SCIM API" and "SCIM 2.0 protocol reference";
 * Microsoft "Tutorial: Develop a sample SCIM endpoint" request/response examples and "Known issues
 * and resolutions with SCIM 2.0 protocol compliance" (the aadOptscim062020 flag).
 */
type Json = Record<string, unknown>;
type List = { totalResults: number; itemsPerPage: number; startIndex: number; Resources: Json[] };
const enc = encodeURIComponent;

describe.each(STORES)('Okta and Entra request sequences on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  beforeAll(async () => {
    f = await scimFixture(kind);
  });
  afterAll(async () => f.dispose());

  describe('Okta SCIM 2.0 spec test and lifecycle', () => {
    let scim: ScimClient;
    beforeAll(async () => {
      ({ scim } = await f.newOrg('Okta Org'));
    });

    it('when Okta runs its spec test steps, then each answers as the test expects', async () => {
      const random = `okta_${Date.now()}`;
      // Step 1: "Required Test: Test Users endpoint" — a ListResponse with the paging keys.
      const first = await scim.get<List>('/Users?count=1&startIndex=1');
      expect(first.status).toBe(200);
      expect(Object.keys(first.body)).toEqual(expect.arrayContaining(['schemas', 'totalResults', 'itemsPerPage', 'startIndex', 'Resources']));
      // Step 2: filter on a userName that does not exist yet.
      const none = await scim.get<List>(`/Users?filter=${enc(`userName eq "${random}@atko.com"`)}&startIndex=1&count=100`);
      expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
      // Step 3: create, with password and empty groups as Okta sends them.
      const created = await scim.post('/Users', {
        schemas: [USER],
        userName: `${random}@atko.com`,
        name: { givenName: 'Okta', familyName: 'Tester' },
        emails: [{ primary: true, value: `${random}@atko.com`, type: 'work' }],
        displayName: 'Okta Tester',
        locale: 'en-US',
        externalId: '00ujl29u0le5T6Aj10h7',
        groups: [],
        password: '1mz050nq',
        active: true,
      });
      expect(created.status).toBe(201);
      expect(created.body.password).toBeUndefined();
      const id = created.body.id as string;
      // Step 4: fetch by id; step 5: filter finds exactly it (Okta compares userName case-insensitively).
      expect((await scim.get(`/Users/${id}`)).body).toMatchObject({ id, userName: `${random}@atko.com`, active: true });
      const found = await scim.get<List>(`/Users?filter=${enc(`userName eq "${random.toUpperCase()}@ATKO.COM"`)}&startIndex=1&count=100`);
      expect(found.body.Resources.map((r) => r.id)).toEqual([id]);
      // Step 6: the same userName again is 409; step 7: a random id is 404.
      expect((await scim.post('/Users', { schemas: [USER], userName: `${random}@atko.com`, active: true })).status).toBe(409);
      expect((await scim.get('/Users/010101001010101010101010')).status).toBe(404);
    });

    it('when Okta updates a profile with PUT, deactivates and reactivates with PATCH, then status and profile follow', async () => {
      const u = (await scim.post('/Users', { schemas: [USER], userName: 'lifecycle@atko.com', name: { givenName: 'Life', familyName: 'Cycle' }, emails: [{ primary: true, value: 'lifecycle@atko.com', type: 'work' }], active: true })).body;
      const put = await scim.put(`/Users/${u.id}`, { schemas: [USER], id: u.id, userName: 'lifecycle@atko.com', name: { givenName: 'Changed', familyName: 'Cycle' }, emails: [{ primary: true, value: 'lifecycle@atko.com', type: 'work' }], active: true, groups: [], meta: { resourceType: 'User' } });
      expect(put.body).toMatchObject({ name: { givenName: 'Changed' }, active: true });
      const off = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
      expect(off.body.active).toBe(false);
      const on = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
      expect(on.body.active).toBe(true);
    });

    it('when Okta pushes a group, then create, rename, add, remove, replace and delete behave as its protocol reference shows', async () => {
      const a = (await scim.post('/Users', { schemas: [USER], userName: 'push-a@atko.com', active: true })).body.id as string;
      const b = (await scim.post('/Users', { schemas: [USER], userName: 'push-b@atko.com', active: true })).body.id as string;
      expect((await scim.get<List>(`/Groups?filter=${enc('displayName eq "Test SCIMv2"')}&startIndex=1&count=100`)).body.totalResults).toBe(0);
      const g = await scim.post('/Groups', { schemas: [GROUP], displayName: 'Test SCIMv2', members: [] });
      expect(g.status).toBe(201);
      const gid = g.body.id as string;
      const renamed = await scim.patch(`/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: gid, displayName: 'Test SCIMv2 renamed' } }] });
      expect(renamed.status).toBe(204);
      expect((await scim.get(`/Groups/${gid}`)).body.displayName).toBe('Test SCIMv2 renamed');
      await scim.patch(`/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: a, display: 'push-a@atko.com' }, { value: b, display: 'push-b@atko.com' }] }] });
      await scim.patch(`/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${a}"]` }] });
      expect(((await scim.get(`/Groups/${gid}`)).body.members as Json[]).map((m) => m.value)).toEqual([b]);
      const put = await scim.put(`/Groups/${gid}`, { schemas: [GROUP], id: gid, displayName: 'Test SCIMv2 put', members: [{ value: a, display: 'push-a@atko.com' }] });
      expect(put.body).toMatchObject({ displayName: 'Test SCIMv2 put', members: [{ value: a }] });
      expect((await scim.delete(`/Groups/${gid}`)).status).toBe(204);
    });
  });

  describe('Microsoft Entra ID request examples', () => {
    let scim: ScimClient;
    beforeAll(async () => {
      ({ scim } = await f.newOrg('Entra Org'));
    });

    it('when Entra creates, queries, updates, disables and deletes a user, then each example answers as documented', async () => {
      const userName = 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1';
      expect((await scim.get<List>(`/Users?filter=${enc(`userName eq "${userName}"`)}`)).body.totalResults).toBe(0);
      const created = await scim.post('/Users', {
        schemas: [USER, ENTERPRISE],
        externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
        userName,
        active: true,
        emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
        meta: { resourceType: 'User' },
        name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
        roles: [],
      });
      expect(created.status).toBe(201);
      const id = created.body.id as string;
      expect((await scim.get<List>(`/Users?filter=${enc(`userName eq "${userName}"`)}`)).body.Resources.map((r) => r.id)).toEqual([id]);
      expect((await scim.get<List>(`/Users?filter=${enc('externalId eq "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef"')}`)).body.totalResults).toBe(1);
      // Update User [Multi-valued properties]
      const multi = await scim.patch(`/Users/${id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
          { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        ],
      });
      expect(multi.body).toMatchObject({ emails: [{ type: 'work', value: 'updatedEmail@microsoft.com' }], name: { familyName: 'updatedFamilyName' } });
      expect((await scim.get<List>(`/Users?filter=${enc('emails[type eq "work"].value eq "updatedemail@microsoft.com"')}`)).body.totalResults).toBe(1);
      // Update User [Single-valued properties]
      const single = await scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'userName', value: '5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com' }] });
      expect(single.body.userName).toBe('5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com');
      // Disable User
      const disabled = await scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: false }] });
      expect(disabled.body.active).toBe(false);
      expect((await scim.delete(`/Users/${id}`)).status).toBe(204);
      expect((await scim.get(`/Users/${id}`)).status).toBe(404);
    });

    it('when Entra sends its pre-aadOptscim062020 dialect, then string booleans, path-less dotted and URN keys and a string manager work', async () => {
      const manager = (await scim.post('/Users', { schemas: [USER], userName: 'manager@entra.example', active: true })).body.id as string;
      const u = (await scim.post('/Users', { schemas: [USER, ENTERPRISE], userName: 'dialect@entra.example', active: 'True', emails: [{ value: 'dialect@entra.example', type: 'work', primary: 'True' }] })).body;
      expect(u).toMatchObject({ active: true, emails: [{ primary: true }] });
      const res = await scim.patch(`/Users/${u.id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'Add', value: { displayName: 'Dialect User', 'name.givenName': 'Dia', [`${ENTERPRISE}:department`]: 'Sales' } },
          { op: 'Add', path: `${ENTERPRISE}:manager`, value: manager },
          { op: 'Replace', path: 'active', value: 'False' },
        ],
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ displayName: 'Dialect User', name: { givenName: 'Dia' }, active: false, [ENTERPRISE]: { department: 'Sales', manager: { value: manager } } });
      // With the flag on, the same changes arrive in RFC form and give the same result.
      const v2 = (await scim.post('/Users', { schemas: [USER, ENTERPRISE], userName: 'flagged@entra.example', active: true })).body;
      const flagged = await scim.patch(`/Users/${v2.id}`, {
        schemas: [PATCH],
        Operations: [
          { op: 'add', path: `${ENTERPRISE}:manager`, value: { value: manager } },
          { op: 'replace', path: 'active', value: false },
        ],
      });
      expect(flagged.body).toMatchObject({ active: false, [ENTERPRISE]: { manager: { value: manager } } });
    });

    it('when Entra adds a work email the user does not have, then it is created instead of a noTarget error', async () => {
      const u = (await scim.post('/Users', { schemas: [USER], userName: 'noemail@entra.example', active: true })).body;
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'emails[type eq "work"].value', value: 'new@entra.example' }] });
      expect(res.status).toBe(200);
      expect(res.body.emails).toEqual([{ type: 'work', value: 'new@entra.example' }]);
      expect((await scim.get<List>(`/Users?filter=${enc('emails.value eq "NEW@entra.example"')}`)).body.totalResults).toBe(1);
    });

    it('when Entra sends empty Operations, then the user is returned unchanged', async () => {
      const u = (await scim.post('/Users', { schemas: [USER], userName: 'empty-ops@entra.example', active: true })).body;
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [] });
      expect(res.status).toBe(200);
      expect(res.body.meta).toMatchObject({ version: 'W/"1"' });
    });

    it('when Entra manages a group, then create, lookup without members, rename, add and value-style remove work', async () => {
      const a = (await scim.post('/Users', { schemas: [USER], userName: 'ga@entra.example', active: true })).body.id as string;
      const created = await scim.post('/Groups', { schemas: [GROUP, 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'], externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', meta: { resourceType: 'Group' } });
      expect(created.status).toBe(201);
      const gid = created.body.id as string;
      expect((await scim.get(`/Groups/${gid}?excludedAttributes=members`)).body).toMatchObject({ id: gid, externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' });
      const byName = await scim.get<List>(`/Groups?excludedAttributes=members&filter=${enc('displayName eq "displayName"')}`);
      expect(byName.body.Resources.map((r) => r.id)).toEqual([gid]);
      await scim.patch(`/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'displayName', value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' }] });
      await scim.patch(`/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: a }] }] });
      expect(((await scim.get(`/Groups/${gid}`)).body.members as Json[]).map((m) => m.value)).toEqual([a]);
      await scim.patch(`/Groups/${gid}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: a }] }] });
      const after = (await scim.get(`/Groups/${gid}`)).body;
      expect(after).toMatchObject({ displayName: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName', members: [] });
      expect((await scim.delete(`/Groups/${gid}`)).status).toBe(204);
    });
  });
});
