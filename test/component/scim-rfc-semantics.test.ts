import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ENTERPRISE, GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

type Json = Record<string, unknown>;
type Email = { value: string; type?: string; primary?: boolean };
const primaries = (emails: unknown) => (emails as Email[]).filter((e) => e.primary).map((e) => e.value);

describe.each(STORES)('SCIM per RFC 7643/7644 on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let n = 0;
  const newUser = async (extra: Json = {}) => {
    const res = await scim.post('/Users', { schemas: [USER], userName: `u${++n}@rfc.example`, ...extra });
    expect(res.status).toBe(201);
    return res.body as Json & { id: string };
  };

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    ({ scim } = await f.newOrg('RFC'));
  }, 60_000);
  afterAll(async () => f.dispose());

  describe('complex replace keeps the sub-attributes it does not name (RFC 7644 §3.5.2.3)', () => {
    it('when name is replaced with only givenName, then familyName and formatted stay', async () => {
      const u = await newUser({ name: { givenName: 'Ann', familyName: 'Lee', formatted: 'Ann Lee' } });
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'name', value: { givenName: 'Anne' } }] });
      expect(res.status).toBe(200);
      expect(res.body.name).toEqual({ givenName: 'Anne', familyName: 'Lee', formatted: 'Ann Lee' });
    });

    it('when a path-less replace holds name with only givenName, then familyName stays', async () => {
      const u = await newUser({ name: { givenName: 'Bob', familyName: 'Ray' }, displayName: 'Bob' });
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', value: { name: { givenName: 'Robert' }, displayName: 'Robert Ray' } }] });
      expect(res.status).toBe(200);
      expect(res.body.name).toEqual({ givenName: 'Robert', familyName: 'Ray' });
      expect(res.body.displayName).toBe('Robert Ray');
    });

    it("when the enterprise extension's manager is replaced with only its value, then its other sub-attributes and the extension's other attributes stay", async () => {
      const u = await newUser({ schemas: [USER, ENTERPRISE], [ENTERPRISE]: { department: 'R&D', manager: { value: 'm-1', displayName: 'Max' } } });
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: `${ENTERPRISE}:manager`, value: { value: 'm-2' } }] });
      expect(res.status).toBe(200);
      expect(res.body[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: 'm-2', displayName: 'Max' } });
      const pathless = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { [ENTERPRISE]: { manager: { displayName: 'Mia' } } } }] });
      expect(pathless.body[ENTERPRISE]).toEqual({ department: 'R&D', manager: { value: 'm-2', displayName: 'Mia' } });
    });
  });

  describe('at most one primary value (RFC 7643 §2.4)', () => {
    it('when a POST sends two primary emails, then only the last one stays primary', async () => {
      const u = await newUser({ emails: [{ value: 'a@rfc.example', type: 'work', primary: true }, { value: 'b@rfc.example', type: 'home', primary: true }] });
      expect(primaries(u.emails)).toEqual(['b@rfc.example']);
      expect((u.emails as Email[]).map((e) => e.value)).toEqual(['a@rfc.example', 'b@rfc.example']);
    });

    it('when a PUT sends two primary emails, then only the last one stays primary', async () => {
      const u = await newUser();
      const res = await scim.put(`/Users/${u.id}`, { schemas: [USER], userName: u.userName, emails: [{ value: 'c@rfc.example', primary: true }, { value: 'd@rfc.example', primary: 'True' }] });
      expect(res.status).toBe(200);
      expect(primaries(res.body.emails)).toEqual(['d@rfc.example']);
    });

    it('when a PATCH adds a primary email, then the existing primary is cleared', async () => {
      const u = await newUser({ emails: [{ value: 'old@rfc.example', type: 'work', primary: true }] });
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'emails', value: [{ value: 'new@rfc.example', type: 'home', primary: true }] }] });
      expect(res.status).toBe(200);
      expect(primaries(res.body.emails)).toEqual(['new@rfc.example']);
    });

    it('when a PATCH makes an existing email primary through a filter, then the former primary is cleared', async () => {
      const u = await newUser({ emails: [{ value: 'w@rfc.example', type: 'work', primary: true }, { value: 'h@rfc.example', type: 'home' }] });
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }] });
      expect(res.status).toBe(200);
      expect(primaries(res.body.emails)).toEqual(['h@rfc.example']);
    });
  });

  describe('noTarget (RFC 7644 §3.5.2)', () => {
    it('when a replace or remove names a value filter that matches nothing, then it answers 400 noTarget and changes nothing', async () => {
      const u = await newUser({ emails: [{ value: 'only@rfc.example', type: 'work' }] });
      for (const op of [
        { op: 'replace', path: 'emails[type eq "pager"].value', value: 'x@rfc.example' },
        { op: 'remove', path: 'emails[type eq "pager"]' },
        { op: 'Replace', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 555' },
      ]) {
        const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [op] });
        expect([op.path, res.status, res.body.scimType]).toEqual([op.path, 400, 'noTarget']);
      }
      const after = await scim.get(`/Users/${u.id}`);
      expect(after.body.emails).toEqual([{ value: 'only@rfc.example', type: 'work' }]);
      expect(after.body.meta).toMatchObject({ version: 'W/"1"' });
    });

    it('when an add names a value filter that matches nothing, then the entry is created (the Entra and Okta behaviour stays)', async () => {
      const u = await newUser();
      const res = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'emails[type eq "work"].value', value: 'made@rfc.example' }] });
      expect(res.status).toBe(200);
      expect(res.body.emails).toEqual([{ type: 'work', value: 'made@rfc.example' }]);
    });
  });

  describe('null is unassigned (RFC 7643 §2.5)', () => {
    it('when a POST sends null single- and multi-valued attributes, then they are not assigned', async () => {
      const res = await scim.post('/Users', { schemas: [USER], userName: 'nulls@rfc.example', displayName: null, emails: null, phoneNumbers: null, addresses: null, name: { givenName: 'Nu', familyName: null }, externalId: null });
      expect(res.status).toBe(201);
      expect(res.body.displayName).toBeUndefined();
      expect(res.body.externalId).toBeUndefined();
      expect(res.body.phoneNumbers).toBeUndefined();
      expect(res.body.emails).toEqual([]);
      expect(res.body.name).toEqual({ givenName: 'Nu' });
    });

    it('when a PUT sends null attributes, then they are cleared', async () => {
      const u = await newUser({ displayName: 'Shown', phoneNumbers: [{ value: '+1 555 0100', type: 'work' }] });
      const res = await scim.put(`/Users/${u.id}`, { schemas: [USER], userName: u.userName, displayName: null, phoneNumbers: null, emails: null });
      expect(res.status).toBe(200);
      expect(res.body.displayName).toBeUndefined();
      expect(res.body.phoneNumbers).toBeUndefined();
    });

    it('when a group is created or replaced with members null, then it has no members', async () => {
      const g = await scim.post('/Groups', { schemas: [GROUP], displayName: 'Null Crew', members: null });
      expect(g.status).toBe(201);
      const put = await scim.put(`/Groups/${String(g.body.id)}`, { schemas: [GROUP], displayName: 'Null Crew 2', members: null, externalId: null });
      expect(put.status).toBe(200);
      expect(put.body.members ?? []).toEqual([]);
    });
  });

  describe('attributes with a value filter', () => {
    it('when attributes names emails[type eq "work"], then only the matching values come back', async () => {
      const u = await newUser({ emails: [{ value: 'w2@rfc.example', type: 'work' }, { value: 'h2@rfc.example', type: 'home' }] });
      const one = await scim.get(`/Users/${u.id}?attributes=${encodeURIComponent('emails[type eq "work"]')}`);
      expect(one.status).toBe(200);
      expect(one.body.emails).toEqual([{ value: 'w2@rfc.example', type: 'work' }]);
      expect(one.body.userName).toBeUndefined();
      const list = await scim.get<{ Resources: Json[] }>(`/Users?filter=${encodeURIComponent(`userName eq "${String(u.userName)}"`)}&attributes=${encodeURIComponent('emails[type eq "work"].value,userName')}`);
      expect(list.body.Resources).toEqual([{ schemas: [USER], id: u.id, userName: u.userName, emails: [{ value: 'w2@rfc.example' }] }]);
    });

    it('when attributes or excludedAttributes name an attribute the schema does not have, then it is ignored', async () => {
      const u = await newUser({ displayName: 'Known' });
      const inc = await scim.get(`/Users/${u.id}?attributes=displayName,noSuchAttribute`);
      expect(inc.status).toBe(200);
      expect(inc.body).toEqual({ schemas: [USER], id: u.id, displayName: 'Known' });
      const exc = await scim.get(`/Users/${u.id}?excludedAttributes=noSuchAttribute`);
      expect(exc.status).toBe(200);
      expect(exc.body.displayName).toBe('Known');
    });
  });
});
