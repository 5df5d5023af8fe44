import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Organization } from '../../src/domain/model.js';
import { aMember, aTeam, draft } from '../../src/store/conformance/fixtures.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES, type ScimClient } from '../support/scim.js';

// More records than one store page (1,000); the ones searched for sit past it. Written through
// the store so the test stays cheap.
const MEMBERS = 1050;
const TEAMS = 1020;

type List = { totalResults: number; Resources: { id: string }[] };
type Page<T> = { items: T[]; total: number };

describe.each(STORES)('scans that walk past one page on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let key: string;
  let org: Organization;
  let scim: ScimClient;
  let zed: string;
  let everyone: string;
  let lateTeam: string;

  beforeAll(async () => {
    f = await scimFixture(kind);
    ({ org, scim } = await f.newOrg('Large'));
    api = await ApiClient.connect(f.daemon.url);
    key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    const { store } = f.daemon;
    const ids: string[] = [];
    for (let i = 0; i < MEMBERS; i++) {
      const m = aMember(org.id, i === 1040 ? { name: { givenName: 'Zedekiah', familyName: 'Late' } } : {});
      await store.createMember(m, draft(org.id, 'member.created', m.id));
      ids.push(m.id);
    }
    zed = ids[1040]!;
    const team = aTeam(org.id, { displayName: 'Everyone' });
    await store.createTeam(team, draft(org.id, 'team.created', team.id));
    for (let i = 0; i < ids.length; i += 100) await store.addTeamMembers(org.id, team.id, ids.slice(i, i + 100), draft(org.id, 'team.members_added', team.id));
    everyone = team.id;
    for (let i = 0; i < TEAMS; i++) {
      const t = aTeam(org.id, i === TEAMS - 1 ? { displayName: 'The late team' } : {});
      await store.createTeam(t, draft(org.id, 'team.created', t.id));
      if (i === TEAMS - 1) lateTeam = t.id;
    }
  }, 180_000);
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  it('when SCIM Users are filtered on an unindexed attribute, then the scan reaches the member past the first 1,000', async () => {
    const res = await scim.get<List>(`/Users?filter=${encodeURIComponent('name.givenName eq "Zedekiah"')}`);

    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources.map((u) => u.id)).toEqual([zed]);
  });

  it('when SCIM Users are filtered by a group of 1,050 members and another attribute, then every member of the group is considered', async () => {
    const res = await scim.get<List>(`/Users?filter=${encodeURIComponent(`groups.value eq "${everyone}" and name.familyName eq "Late"`)}`);

    expect(res.status).toBe(200);
    expect(res.body.Resources.map((u) => u.id)).toEqual([zed]);
  });

  it('when SCIM Groups are filtered with co, then the scan reaches the team past the first 1,000', async () => {
    const res = await scim.get<List>(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName co "late team"')}`);

    expect(res.status).toBe(200);
    expect(res.body.Resources.map((g) => g.id)).toEqual([lateTeam]);
  });

  it('when the admin API searches members by text, and by text within a team, then the member past the first 1,000 is found', async () => {
    const byText = await api.call<Page<{ id: string }>>('get', `/orgs/${org.id}/members?q=zedekiah`, key);
    const inTeam = await api.call<Page<{ id: string }>>('get', `/orgs/${org.id}/members?q=zedekiah&team=${everyone}`, key);

    expect(byText.body).toEqual({ items: [expect.objectContaining({ id: zed })], total: 1 });
    expect(inTeam.body).toEqual({ items: [expect.objectContaining({ id: zed })], total: 1 });
  });
});
