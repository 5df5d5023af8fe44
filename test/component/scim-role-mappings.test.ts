import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

const ADMIN = { kind: 'cli' as const, label: 'test' };

describe.each(STORES)('roles from SCIM groups on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let org: Organization;
  let n = 0;

  beforeAll(async () => {
    f = await scimFixture(kind);
    ({ scim, org } = await f.newOrg('Roles Inc'));
    const s = f.daemon.services;
    await s.roleMappings.set(org.id, { source: 'scim', group: 'Engineering-Admins', role: 'admin' }, ADMIN);
    await s.roleMappings.set(org.id, { source: 'scim', group: 'Staff', role: 'member' }, ADMIN);
  });
  afterAll(async () => f.dispose());

  const user = async () => (await scim.post('/Users', { schemas: [USER], userName: `r${++n}@roles.example` })).body.id as string;
  const group = async (displayName: string, members: string[] = []) => (await scim.post('/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) })).body.id as string;
  const patch = (id: string, Operations: unknown[]) => scim.patch(`/Groups/${id}`, { schemas: [PATCH], Operations });
  const member = async (id: string) => (await f.daemon.store.getMember(org.id, id)) as Member;
  const audit = async (id: string, action: string) => (await f.daemon.store.listAudit(org.id, { limit: 10_000 })).filter((e) => e.target.id === id && e.action === action);

  it('when a user is added to the mapped admin group, then it becomes admin through the member writer, audited with the mapping and the group, and member.role_changed is in the outbox', async () => {
    const u = await user();
    const admins = await group('Engineering-Admins');
    expect((await patch(admins, [{ op: 'add', path: 'members', value: [{ value: u }] }])).status).toBe(204);

    const m = await member(u);
    expect(m.role).toBe('admin');
    expect(m.roleSource).toMatchObject({ kind: 'mapping', source: 'scim', group: 'Engineering-Admins' });
    const [event] = await audit(u, 'member.role_changed');
    expect(event).toMatchObject({ source: 'scim', actor: { kind: 'scim' }, before: { role: 'member' }, after: { role: 'admin' }, evidence: { kind: 'roleMapping', groupLabel: 'Engineering-Admins', teamId: admins } });
    expect(event!.reason).toMatch(/role mapping rm_\w+ \(scim group "Engineering-Admins" -> admin\)/);
    const outbox = await f.daemon.store.listOutbox(org.id, { limit: 10_000 });
    expect(outbox.find((o) => o.id === event!.id)?.type).toBe('member.role_changed');
  });

  it('when the user is removed from the group (Okta filter, Entra value style), then the role falls back to member', async () => {
    const [a, b] = [await user(), await user()];
    const admins = (await f.daemon.store.findTeamByName(org.id, 'Engineering-Admins'))!.id;
    await patch(admins, [{ op: 'add', path: 'members', value: [{ value: a }, { value: b }] }]);
    expect([(await member(a)).role, (await member(b)).role]).toEqual(['admin', 'admin']);
    await patch(admins, [{ op: 'remove', path: `members[value eq "${a}"]` }]);
    await patch(admins, [{ op: 'Remove', path: 'members', value: [{ value: b }] }]);
    expect(await member(a)).toMatchObject({ role: 'member', roleSource: { kind: 'default' } });
    expect((await member(b)).role).toBe('member');
  });

  it('when a PATCH adds a member and a later operation of it fails, then the add stays and the role follows it', async () => {
    const u = await user();
    const admins = (await f.daemon.store.findTeamByName(org.id, 'Engineering-Admins'))!.id;
    const res = await patch(admins, [{ op: 'add', path: 'members', value: [{ value: u }] }, { op: 'add', path: 'nonsense', value: 1 }]);
    expect(res.status).toBe(400);
    expect(await member(u)).toMatchObject({ role: 'admin', roleSource: { kind: 'mapping', group: 'Engineering-Admins' } });
  });

  it('when a user is in two mapped groups, then the higher role holds; leaving it falls back to the next mapped role', async () => {
    const u = await user();
    const staff = await group('Staff', [u]);
    expect((await member(u)).roleSource).toMatchObject({ kind: 'mapping', group: 'Staff' });
    const admins = (await f.daemon.store.findTeamByName(org.id, 'Engineering-Admins'))!.id;
    await scim.put(`/Groups/${admins}`, { schemas: [GROUP], displayName: 'Engineering-Admins', members: [...(await f.daemon.services.teams.memberIds(org.id, admins)).map((value) => ({ value })), { value: u }] });
    expect((await member(u)).role).toBe('admin');
    await patch(admins, [{ op: 'remove', path: `members[value eq "${u}"]` }]);
    expect(await member(u)).toMatchObject({ role: 'member', roleSource: { kind: 'mapping', group: 'Staff' } });
    // A group that is deleted takes its role with it.
    await patch(staff, [{ op: 'add', path: 'members', value: [{ value: u }] }]);
    expect((await scim.delete(`/Groups/${staff}`)).status).toBe(204);
    expect(await member(u)).toMatchObject({ role: 'member', roleSource: { kind: 'default' } });
  });

  it('when an unmapped group is renamed to a mapped name, then its members take the role; an unmapped group moves no role', async () => {
    const u = await user();
    const g = await group('Platform', [u]);
    expect((await member(u)).roleSource).toBeUndefined();
    await patch(g, [{ op: 'replace', value: { displayName: 'engineering-admins-2' } }]);
    expect((await member(u)).role).toBe('member');
    await f.daemon.services.roleMappings.set(org.id, { source: 'scim', group: 'Ops-Admins', role: 'admin' }, ADMIN);
    await patch(g, [{ op: 'replace', path: 'displayName', value: 'Ops-Admins' }]);
    expect((await member(u)).role).toBe('admin');
  });

  it('when a mapping would demote the last active owner, then the owner stays owner and the skip is audited with the reason', async () => {
    const s = f.daemon.services;
    const other = (await f.newOrg('Owned Inc'));
    await s.orgs.update(other.org.id, { settings: { ownerByMapping: true } }, ADMIN);
    await s.roleMappings.set(other.org.id, { source: 'scim', group: 'Owners', role: 'owner' }, ADMIN);
    const u = (await other.scim.post('/Users', { schemas: [USER], userName: 'boss@owned.example' })).body.id as string;
    const owners = (await other.scim.post('/Groups', { schemas: [GROUP], displayName: 'Owners', members: [{ value: u }] })).body.id as string;
    expect((await f.daemon.store.getMember(other.org.id, u))?.role).toBe('owner');

    await other.scim.patch(`/Groups/${owners}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: 'members', value: [{ value: u }] }] });

    expect((await f.daemon.store.getMember(other.org.id, u))?.role).toBe('owner');
    const skipped = (await f.daemon.store.listAudit(other.org.id)).filter((e) => e.action === 'member.role_change_skipped' && e.target.id === u);
    expect(skipped).toHaveLength(1);
    expect(skipped[0]).toMatchObject({ source: 'scim', after: { wanted: { role: 'member' } } });
    expect(skipped[0]!.reason).toContain('last active owner');
  });
});
