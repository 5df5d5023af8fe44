/**
 * Teams a directory connection keeps from a group (issue 17 follow-up), on every store: SCIM Groups
 * PATCH/PUT/DELETE, Okta entitlements, the admin API (rename, members, delete, teamIds of a new
 * member or an invitation) refuse to change them, naming the connection and the group, as they do
 * for members a directory manages; the connection's own runs still change them; an emptied team may
 * be deleted; once the connection is deleted, the team is anyone's again.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Actor, Member, Organization, Team } from '../../src/domain/model.js';
import { draft } from '../../src/store/conformance/fixtures.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
type ScimErrorBody = { status: string; scimType?: string; detail: string };

const SETUP: Actor = { kind: 'system', label: 'test setup' };

describe.each(STORES)('teams kept by a directory connection refuse other writers (%s)', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let key: string;
  let org: Organization;
  let scim: ScimClient;
  let connId: string;
  let team: Team;
  let members: Member[];
  let run: Actor;

  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    ({ org, scim } = await f.newOrg('Kept teams'));
    const s = f.daemon.services;
    connId = (await s.connections.create(org.id, { provider: 'github', name: 'GitHub acme', config: { org: 'acme', token: 'ghp_kept_teams_token_0123456789' } }, SETUP)).id;
    run = { kind: 'directory', id: connId, label: 'github directory' };
    members = [];
    for (let i = 0; i < 3; i++) members.push(await s.members.create(org.id, { email: `dev${i}@acme.example` }, SETUP));
    team = await s.teams.create(org.id, { displayName: 'Platform', directoryGroup: { connectionId: connId, provider: 'github', groupId: '42', key: 'platform' } }, run);
    await s.teams.addMembers(org.id, team.id, [members[0]!.id, members[1]!.id], run);
  }, 60_000);
  afterAll(async () => {
    expect(api?.violations).toEqual([]);
    await f?.dispose();
  });

  const memberIds = () => f.daemon.services.teams.memberIds(org.id, team.id);
  const expectKept = (body: ErrorBody) => {
    expect(body.error.code).toBe('team.managed_elsewhere');
    expect(body.error.message).toContain(`directory connection GitHub acme (${connId}) from github group platform`);
    expect(body.error.details).toMatchObject({ teamId: team.id, connectionId: connId, groupId: '42', group: 'platform' });
  };
  const expectScimKept = (res: { status: number; body: unknown }) => {
    expect(res.status).toBe(400);
    const body = res.body as ScimErrorBody;
    expect(body.scimType).toBe('mutability');
    expect(body.detail).toContain(`directory connection GitHub acme (${connId})`);
  };

  it('when SCIM patches, replaces or deletes the group, then each is refused with 400 mutability naming the connection, and nothing changes', async () => {
    expectScimKept(await scim.patch(`/Groups/${team.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: members[2]!.id }] }] }));
    expectScimKept(await scim.patch(`/Groups/${team.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${members[0]!.id}"]` }] }));
    expectScimKept(await scim.patch(`/Groups/${team.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { displayName: 'Renamed' } }] }));
    expectScimKept(await scim.put(`/Groups/${team.id}`, { schemas: [GROUP], displayName: 'Platform', members: [{ value: members[2]!.id }] }));
    expectScimKept(await scim.delete(`/Groups/${team.id}`));
    // Okta entitlements naming the team are refused before the user is written.
    const okta = await scim.post('/Users', { schemas: [USER], userName: 'okta@acme.example', emails: [{ primary: true, value: 'okta@acme.example' }], active: true, entitlements: [{ value: team.id, display: 'Platform', type: 'Entitlement' }] });
    expectScimKept(okta);
    expect(await f.daemon.store.findMemberByUserName(org.id, 'okta@acme.example')).toBeUndefined();

    expect(await memberIds()).toEqual([members[0]!.id, members[1]!.id]);
    expect(await f.daemon.store.getTeam(org.id, team.id)).toMatchObject({ displayName: 'Platform', version: team.version });
    // The group still reads as before.
    expect((await scim.get<{ displayName: string }>(`/Groups/${team.id}`)).body.displayName).toBe('Platform');
  });

  it('when an admin renames it, changes its members, deletes it or names it in teamIds, then each is refused with 409 team.managed_elsewhere', async () => {
    const base = `/orgs/${org.id}/teams/${team.id}`;
    const refused = [
      await api.call<ErrorBody>('patch', base, key, { displayName: 'Renamed' }),
      await api.call<ErrorBody>('post', `${base}/members`, key, { memberIds: [members[2]!.id] }),
      await api.call<ErrorBody>('delete', `${base}/members/${members[0]!.id}`, key),
      await api.call<ErrorBody>('delete', base, key),
      await api.call<ErrorBody>('post', `/orgs/${org.id}/members`, key, { email: 'new@acme.example', teamIds: [team.id] }),
      await api.call<ErrorBody>('post', `/orgs/${org.id}/invitations`, key, { email: 'invitee@acme.example', teamIds: [team.id] }),
    ];
    for (const r of refused) {
      expect(r.status).toBe(409);
      expectKept(r.body);
    }
    expect(await f.daemon.store.findMemberByUserName(org.id, 'new@acme.example')).toBeUndefined();
    expect(await memberIds()).toEqual([members[0]!.id, members[1]!.id]);
    // A team nobody syncs is unaffected.
    const plain = (await api.call<Team>('post', `/orgs/${org.id}/teams`, key, { displayName: 'Hand made' })).body;
    expect((await api.call('post', `/orgs/${org.id}/teams/${plain.id}/members`, key, { memberIds: [members[2]!.id] })).status).toBe(200);
  });

  it("when the connection's run changes the team, then it is allowed; once emptied, an admin may delete it", async () => {
    const s = f.daemon.services;
    await s.teams.update(org.id, team.id, { displayName: 'Platform team' }, run);
    expect(await s.teams.removeMembers(org.id, team.id, [members[0]!.id, members[1]!.id], run)).toHaveLength(2);
    // Another connection's run is another writer.
    const other: Actor = { kind: 'directory', id: 'another-connection' };
    await expect(s.teams.addMembers(org.id, team.id, [members[2]!.id], other)).rejects.toMatchObject({ code: 'team.managed_elsewhere' });
    expect((await api.call('delete', `/orgs/${org.id}/teams/${team.id}`, key)).status).toBe(204);
    expect(await f.daemon.store.getTeam(org.id, team.id)).toBeUndefined();
  });

  it('when a team named in a pending invitation comes to be kept by the connection, then accepting it joins the org and the open team, not the kept one', async () => {
    const s = f.daemon.services;
    const later = await s.teams.create(org.id, { displayName: 'Kept later' }, SETUP);
    const open = await s.teams.create(org.id, { displayName: 'Open to all' }, SETUP);
    const { link } = await s.invitations.invite(org.id, { email: 'newcomer@acme.example', teamIds: [later.id, open.id] }, SETUP);
    // The connection starts keeping the team after the invitation was made (the check at invite time passed).
    await f.daemon.store.updateTeam(org.id, later.id, (cur) => ({ next: { ...cur, directoryGroup: { connectionId: connId, provider: 'github', groupId: '44', key: 'kept-later' } }, audit: draft(org.id, 'team.updated', later.id) }));

    const member = await s.invitations.accept(link.slice(link.lastIndexOf('/') + 1), { provider: 'google', subject: 'g-newcomer', email: 'newcomer@acme.example', emailVerified: true });

    expect(member).toMatchObject({ status: 'active', emails: [expect.objectContaining({ value: 'newcomer@acme.example' })] });
    expect(await s.teams.memberIds(org.id, later.id)).not.toContain(member.id);
    expect(await s.teams.memberIds(org.id, open.id)).toContain(member.id);
    // A new team invite link to the kept team is refused, as an invitation naming it is.
    const teamLink = await api.call<ErrorBody>('post', `/orgs/${org.id}/links`, key, { teamId: later.id });
    expect(teamLink.status).toBe(409);
    expect(teamLink.body.error.code).toBe('team.managed_elsewhere');
  });

  it('when the connection is deleted, then its team is released and SCIM may change it', async () => {
    const s = f.daemon.services;
    const kept = await s.teams.create(org.id, { displayName: 'Infra', directoryGroup: { connectionId: connId, provider: 'github', groupId: '43', key: 'infra' } }, run);
    await s.teams.addMembers(org.id, kept.id, [members[0]!.id], run);
    expectScimKept(await scim.patch(`/Groups/${kept.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: members[2]!.id }] }] }));
    expect((await api.call('delete', `/orgs/${org.id}/connections/${connId}`, key)).status).toBe(204);
    const added = await scim.patch(`/Groups/${kept.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: members[2]!.id }] }] });
    expect(added.status).toBeLessThan(300);
    expect(await s.teams.memberIds(org.id, kept.id)).toEqual([members[0]!.id, members[2]!.id]);
    expect(await f.daemon.store.getTeam(org.id, kept.id)).not.toHaveProperty('directoryGroup');
  });
});
