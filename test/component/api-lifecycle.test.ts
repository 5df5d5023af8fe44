import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent, Member, Organization } from '../../src/domain/model.js';
import { graphId, GraphFake } from '../fakes/graph-fake.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

type Page<T> = { items: T[]; total: number };
type Invitation = { id: string; status: string; email: string; role: string };
type InviteResult = { invitation: Invitation; link: string; mailed: boolean };
type Link = { id: string; state: string; role: string; uses: number };
type Connection = { id: string; credentials: string; name: string; policy: Record<string, unknown> };
type Summary = { runId: string; status: string; dryRun: boolean; listed: number; linked: number; deactivated: number; held: number; inviteLink?: { action: string; linkId: string } };
type Run = { id: string; status: string; plan?: { kind: string; held?: boolean }[]; summary: Record<string, unknown> };

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET = 'graph-secret-never-shown';

describe.each(STORES)('admin API lifecycles (invitations, links, connections, runs, moves) on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let fake: GraphFake;
  let provider: string;
  let orgKey: string;
  let alpha: Organization;
  let beta: Organization;
  let contoso: Organization;
  let admin: Member;
  let conn: Connection;
  const users: Record<number, Member> = {};

  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    fake = await new GraphFake({ users: 20, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    alpha = (await api.call<Organization>('post', '/orgs', provider, { name: 'Alpha' })).body;
    beta = (await api.call<Organization>('post', '/orgs', provider, { name: 'Beta' })).body;
    contoso = (await api.call<Organization>('post', '/orgs', provider, { name: 'Contoso' })).body;
    orgKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', alpha.id, '--json')).json<{ key: string }>().key;
    await api.call('post', `/orgs/${alpha.id}/members`, orgKey, { email: 'owner@alpha.example', role: 'owner' });
    admin = (await api.call<Member>('post', `/orgs/${alpha.id}/members`, orgKey, { email: 'admin@alpha.example', role: 'admin' })).body;
    for (let i = 0; i < 5; i++) {
      users[i] = (await api.call<Member>('post', `/orgs/${contoso.id}/members`, provider, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' })).body;
    }
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await fake.stop();
    await f.dispose();
  });

  const inv = (path = '') => `/orgs/${alpha.id}/invitations${path}`;

  it('when a person is invited, listed, their link copied, rotated, resent and revoked, then each step shows in the list', async () => {
    const created = await api.call<InviteResult>('post', inv(), orgKey, { email: 'new@alpha.example', givenName: 'New', role: 'admin' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ invitation: { email: 'new@alpha.example', status: 'pending', role: 'admin' }, link: expect.stringMatching(/^https:\/\/idsync\.example\.com\//), mailed: expect.any(Boolean) });
    expect(JSON.stringify(created.body)).not.toContain('tokenHash');
    const id = created.body.invitation.id;
    const list = async (status: string) => (await api.call<Page<Invitation>>('get', inv(`?status=${status}`), orgKey)).body.items.map((i) => i.id);
    expect(await list('pending')).toContain(id);

    const copy = async (rotate?: boolean) => (await api.call<{ link: string }>('get', inv(`/${id}/link${rotate === undefined ? '' : `?rotate=${rotate}`}`), orgKey)).body.link;
    expect(await copy()).toBe(created.body.link);
    expect(await copy(false)).toBe(created.body.link);
    const rotated = await copy(true);
    expect(rotated).not.toBe(created.body.link);
    expect(await copy()).toBe(rotated);

    const resent = await api.call<InviteResult>('post', inv(`/${id}/resend`), orgKey);
    expect(resent.status).toBe(200);
    expect(resent.body.link).not.toBe(rotated);
    expect(JSON.stringify(resent.body)).not.toContain('tokenHash');

    const revoked = await api.call<Invitation & { endReason: string }>('post', inv(`/${id}/revoke`), orgKey, { reason: 'changed our minds' });
    expect(revoked.body).toMatchObject({ id, status: 'revoked', endReason: 'changed our minds' });
    expect(await list('revoked')).toContain(id);
    expect(await list('pending')).not.toContain(id);
    expect((await api.call('get', inv(`/${id}/link`), orgKey)).body).toMatchObject({ error: { code: 'invite.revoked' } });
    expect((await api.call('post', inv('/nope/resend'), orgKey)).status).toBe(404);
  });

  it('when an admin invites, then member and admin roles are allowed and owner is forbidden', async () => {
    const as = { 'x-idsync-acting-member': admin.id };
    expect((await api.call('post', inv(), orgKey, { email: 'a1@alpha.example', role: 'admin' }, as)).status).toBe(201);
    const owner = await api.call('post', inv(), orgKey, { email: 'a2@alpha.example', role: 'owner' }, as);
    expect([owner.status, owner.body]).toEqual([403, expect.objectContaining({ error: expect.objectContaining({ code: 'auth.forbidden' }) })]);
  });

  it('when the pending-invitation cap is reached, then the next invite answers invite.cap_reached', async () => {
    const { body: capped } = await api.call<Organization>('post', '/orgs', provider, { name: 'Capped' });
    expect((await api.call<Organization>('patch', `/orgs/${capped.id}`, provider, { settings: { pendingInviteCap: 1 } })).body.settings.pendingInviteCap).toBe(1);
    expect((await api.call('post', `/orgs/${capped.id}/invitations`, provider, { email: 'one@capped.example' })).status).toBe(201);
    const second = await api.call('post', `/orgs/${capped.id}/invitations`, provider, { email: 'two@capped.example' });
    expect([second.status, second.body]).toEqual([409, expect.objectContaining({ error: expect.objectContaining({ code: 'invite.cap_reached' }) })]);
  });

  it('when an invite link is created, rotated and revoked, then its URL shows only on create and rotate', async () => {
    const created = await api.call<{ link: Link; url: string }>('post', `/orgs/${alpha.id}/links`, orgKey, { maxUses: 5, expiresInHours: 24, allowedDomains: ['alpha.example'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ link: { state: 'active', role: 'member', uses: 0 }, url: expect.stringMatching(/^https:\/\/idsync\.example\.com\//) });
    const id = created.body.link.id;
    const listed = await api.call<Page<Link>>('get', `/orgs/${alpha.id}/links`, orgKey);
    expect(listed.body.items.map((l) => l.id)).toContain(id);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.url);
    expect(JSON.stringify(listed.body)).not.toContain('tokenHash');
    const rotated = await api.call<{ link: Link; url: string }>('post', `/orgs/${alpha.id}/links/${id}/rotate`, orgKey);
    expect(rotated.body.url).not.toBe(created.body.url);
    expect((await api.call<Link>('post', `/orgs/${alpha.id}/links/${id}/revoke`, orgKey, {})).body.state).toBe('revoked');
    expect((await api.call('post', `/orgs/${alpha.id}/links/${id}/rotate`, orgKey)).body).toMatchObject({ error: { code: 'link.revoked' } });
    expect((await api.call('post', `/orgs/${alpha.id}/links`, orgKey, { role: 'owner' }, { 'x-idsync-acting-member': admin.id })).status).toBe(403);
  });

  it('when a directory connection is created and tested over the API, then its secret never comes back', async () => {
    const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url };
    const created = await api.call<Connection>('post', `/orgs/${contoso.id}/connections`, provider, { provider: 'microsoft', name: 'Entra', config, policy: { maxDeactivations: 0, maxDeactivationPercent: 100 } });
    expect(created.status).toBe(201);
    conn = created.body;
    expect(conn.credentials).toBe('stored');
    const get = await api.call<Connection>('get', `/orgs/${contoso.id}/connections/${conn.id}`, provider);
    const list = await api.call<{ items: Connection[] }>('get', `/orgs/${contoso.id}/connections`, provider);
    const patched = await api.call<Connection>('patch', `/orgs/${contoso.id}/connections/${conn.id}`, provider, { name: 'Entra ID' });
    expect(patched.body.name).toBe('Entra ID');
    for (const body of [created.body, get.body, list.body, patched.body]) expect(JSON.stringify(body)).not.toContain(SECRET);
    expect(list.body.items.map((c) => c.id)).toEqual([conn.id]);
    expect((await api.call('post', `/orgs/${contoso.id}/connections/${conn.id}/test`, provider)).body).toMatchObject({ ok: true, users: 20, complete: true });
    expect((await api.call('get', `/orgs/${alpha.id}/connections/${conn.id}`, provider)).body).toMatchObject({ error: { code: 'connection.not_found' } });
    expect((await api.call('get', `/orgs/${contoso.id}/connections`, orgKey)).status).toBe(404);

    const doomed = await api.call<Connection>('post', `/orgs/${contoso.id}/connections`, provider, { provider: 'microsoft', config });
    expect((await api.call('delete', `/orgs/${contoso.id}/connections/${doomed.body.id}`, provider)).status).toBe(204);
    expect((await api.call('get', `/orgs/${contoso.id}/connections/${doomed.body.id}`, provider)).status).toBe(404);
  });

  it('when directory groups are selected over the API, then a bad selection names its key and a run plans the group as a team', async () => {
    const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url };
    const c = (await api.call<Connection>('post', `/orgs/${contoso.id}/connections`, provider, { provider: 'microsoft', config })).body;
    const groups = `/orgs/${contoso.id}/connections/${c.id}/groups`;
    const bad = await api.call('put', groups, provider, { groups: { ids: ['eng'] } });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'connector.invalid_config', message: expect.stringContaining('microsoft.groups.ids.0') } });
    const GROUP = 'b0000000-0000-4000-8000-000000000001';
    fake.groups.add(GROUP, 'Platform', [graphId(1), graphId(2)]);
    const set = await api.call<Connection & { settings: Record<string, unknown> }>('put', groups, provider, { groups: { ids: [GROUP] } });
    expect(set.body.settings.groups).toEqual({ ids: [GROUP] });
    // A dry run: the later cases expect the org's members unlinked.
    const run = await api.call<Summary & { teams?: Record<string, unknown> }>('post', `/orgs/${contoso.id}/connections/${c.id}/runs`, provider, { dryRun: true });
    expect(run.body.teams).toMatchObject({ mode: 'full', created: 1, added: 2 });
    const got = await api.call<Run>('get', `/orgs/${contoso.id}/runs/${run.body.runId}`, provider);
    expect(got.body.plan?.filter((a) => a.kind.startsWith('team.')).map((a) => a.kind)).toEqual(['team.create', 'team.add']);
    const none = await api.call<Connection & { settings: Record<string, unknown> }>('put', groups, provider, { groups: null });
    expect(none.body.settings.groups).toBeUndefined();
    expect((await api.call('delete', `/orgs/${contoso.id}/connections/${c.id}`, provider)).status).toBe(204);
  });

  it('when runs are made dry and for real, then they list newest first without plans and read back with plans', async () => {
    const runs = `/orgs/${contoso.id}/connections/${conn.id}/runs`;
    const dry = await api.call<Summary>('post', runs, provider, { dryRun: true });
    expect(dry.status).toBe(201);
    expect(dry.body).toMatchObject({ status: 'completed', dryRun: true, listed: 20, linked: 0 });
    const real = await api.call<Summary>('post', runs, provider, {});
    expect(real.body).toMatchObject({ status: 'completed', dryRun: false, linked: 5, deactivated: 0 });
    const listed = await api.call<Page<Run>>('get', `${runs}?limit=10`, provider);
    expect(listed.body.items.map((r) => r.id)).toEqual([real.body.runId, dry.body.runId]);
    expect(listed.body.items.every((r) => r.plan === undefined)).toBe(true);
    const got = await api.call<Run>('get', `/orgs/${contoso.id}/runs/${dry.body.runId}`, provider);
    expect(got.body.plan?.filter((a) => a.kind === 'link')).toHaveLength(5);
    expect((await api.call('get', `/orgs/${alpha.id}/runs/${dry.body.runId}`, provider)).body).toMatchObject({ error: { code: 'run.not_found' } });
  });

  it('when a run is held by the deactivation budget, then approve with max applies it and reject leaves the member alone', async () => {
    const runs = `/orgs/${contoso.id}/connections/${conn.id}/runs`;
    const status = async (i: number) => (await api.call<Member>('get', `/orgs/${contoso.id}/members/${users[i]!.id}`, provider)).body.status;
    fake.disable(1);
    const held = await api.call<Summary>('post', runs, provider, {});
    expect(held.body).toMatchObject({ status: 'held', held: 1, deactivated: 0 });
    expect(await status(1)).toBe('active');
    const approved = await api.call<Summary>('post', `/orgs/${contoso.id}/runs/${held.body.runId}/approve`, provider, { max: 1 });
    expect(approved.body).toMatchObject({ deactivated: 1, held: 0 });
    expect(await status(1)).toBe('inactive');
    expect((await api.call<Run>('get', `/orgs/${contoso.id}/runs/${held.body.runId}`, provider)).body.status).toBe('approved');
    expect((await api.call('post', `/orgs/${contoso.id}/runs/${held.body.runId}/approve`, provider, {})).body).toMatchObject({ error: { code: 'run.not_held' } });

    fake.disable(2);
    const second = await api.call<Summary>('post', runs, provider, {});
    expect(second.body).toMatchObject({ status: 'held', held: 1 });
    expect((await api.call<Run>('post', `/orgs/${contoso.id}/runs/${second.body.runId}/reject`, provider)).body.status).toBe('rejected');
    expect(await status(2)).toBe('active');
  });

  it('when policy.inviteLink is turned on, then a run mints the gated link and its URL can be copied over the API', async () => {
    const url = `/orgs/${contoso.id}/connections/${conn.id}/invite-link`;
    expect((await api.call('get', url, provider)).body).toMatchObject({ error: { code: 'link.not_found' } });
    await api.call('patch', `/orgs/${contoso.id}/connections/${conn.id}`, provider, { policy: { inviteLink: true } });
    const run = await api.call<Summary>('post', `/orgs/${contoso.id}/connections/${conn.id}/runs`, provider, {});
    expect(run.body.inviteLink).toMatchObject({ action: 'minted' });
    const copied = await api.call<{ linkId: string; url: string }>('get', url, provider);
    expect(copied.body).toEqual({ linkId: run.body.inviteLink!.linkId, url: expect.stringContaining('/join/') });
    expect((await api.call('get', url, orgKey)).status).toBe(404);
  });

  it("when a member's account is moved to another org, then it arrives with its profile and identities and leaves the source", async () => {
    const mover = (await api.call<Member>('post', `/orgs/${alpha.id}/members`, provider, { email: 'mover@alpha.example', givenName: 'Mo', familyName: 'Ver' })).body;
    const moved = await api.call<{ member: Member; removed: Member }>('post', `/orgs/${alpha.id}/members/${mover.id}/move`, provider, { toOrg: beta.id });
    expect(moved.status).toBe(200);
    expect(moved.body.member).toMatchObject({ orgId: beta.id, userName: mover.userName, name: { givenName: 'Mo', familyName: 'Ver' }, emails: mover.emails, role: 'member', status: 'active' });
    expect(moved.body.removed).toMatchObject({ id: mover.id, status: 'removed' });
    const audit = await api.call<{ items: AuditEvent[] }>('get', `/orgs/${alpha.id}/audit?action=member.removed&target=${mover.id}`, provider);
    expect(audit.body.items.map((e) => e.reason)).toEqual([`moved to ${beta.id}`]);

    const linked = await api.call<{ member: Member }>('post', `/orgs/${contoso.id}/members/${users[3]!.id}/move`, provider, { toOrg: beta.id, role: 'admin' });
    expect(linked.body.member).toMatchObject({ role: 'admin', identities: [{ provider: 'microsoft', subject: expect.any(String) }] });
  });

  it('when a move would strand the source without an owner, reuse a taken userName or come from an org-scoped key, then it is refused', async () => {
    const { body: solo } = await api.call<Organization>('post', '/orgs', provider, { name: 'Solo' });
    const only = (await api.call<Member>('post', `/orgs/${solo.id}/members`, provider, { email: 'only@solo.example', role: 'owner' })).body;
    const lastOwner = await api.call('post', `/orgs/${solo.id}/members/${only.id}/move`, provider, { toOrg: beta.id });
    expect([lastOwner.status, lastOwner.body]).toEqual([409, expect.objectContaining({ error: expect.objectContaining({ code: 'member.last_owner' }) })]);

    const dup = (await api.call<Member>('post', `/orgs/${alpha.id}/members`, provider, { email: 'dup@alpha.example' })).body;
    await api.call('post', `/orgs/${beta.id}/members`, provider, { email: 'dup@alpha.example' });
    const taken = await api.call('post', `/orgs/${alpha.id}/members/${dup.id}/move`, provider, { toOrg: beta.id });
    expect([taken.status, taken.body]).toEqual([409, expect.objectContaining({ error: expect.objectContaining({ code: 'member.user_name_taken' }) })]);
    expect((await api.call<Member>('get', `/orgs/${alpha.id}/members/${dup.id}`, provider)).body.status).toBe('active');

    const scoped = await api.call('post', `/orgs/${alpha.id}/members/${dup.id}/move`, orgKey, { toOrg: beta.id });
    expect([scoped.status, scoped.body]).toEqual([403, expect.objectContaining({ error: expect.objectContaining({ code: 'auth.forbidden' }) })]);
  });

  it('when an existing account is added to another organization, then it is a member of both with the same identity', async () => {
    const { body: gamma } = await api.call<Organization>('post', '/orgs', provider, { name: 'Gamma' });
    const m = (await api.call<Member>('post', `/orgs/${alpha.id}/members`, provider, { email: 'both@alpha.example', givenName: 'Bo' })).body;
    const added = await api.call<Member>('post', `/orgs/${alpha.id}/members/${m.id}/add-to-org`, provider, { toOrg: gamma.id, role: 'admin' });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ orgId: gamma.id, userName: 'both@alpha.example', role: 'admin', status: 'active', name: { givenName: 'Bo' } });
    expect((await api.call<Member>('get', `/orgs/${alpha.id}/members/${m.id}`, provider)).body.status).toBe('active');
    const twice = await api.call('post', `/orgs/${alpha.id}/members/${m.id}/add-to-org`, provider, { toOrg: gamma.id });
    expect([twice.status, twice.body]).toEqual([409, expect.objectContaining({ error: expect.objectContaining({ code: 'member.already_member' }) })]);
    expect((await api.call('post', `/orgs/${alpha.id}/members/${m.id}/add-to-org`, orgKey, { toOrg: gamma.id })).status).toBe(403);

    // Teams of the target are given with it; an inactive member or a service account is not added.
    const team = (await api.call<{ id: string }>('post', `/orgs/${gamma.id}/teams`, provider, { displayName: 'Ops' })).body;
    const t = (await api.call<Member>('post', `/orgs/${alpha.id}/members`, provider, { email: 'teamed@alpha.example' })).body;
    const withTeam = await api.call<Member>('post', `/orgs/${alpha.id}/members/${t.id}/add-to-org`, provider, { toOrg: gamma.id, teamIds: [team.id] });
    expect(withTeam.status).toBe(201);
    expect(await f.daemon.store.listMemberTeams(gamma.id, withTeam.body.id)).toEqual([team.id]);
    const idle = (await api.call<Member>('post', `/orgs/${alpha.id}/members`, provider, { email: 'idle@alpha.example' })).body;
    await api.call('post', `/orgs/${alpha.id}/members/${idle.id}/deactivate`, provider, { reason: 'on leave' });
    const refusedIdle = await api.call('post', `/orgs/${alpha.id}/members/${idle.id}/add-to-org`, provider, { toOrg: gamma.id });
    expect([refusedIdle.status, refusedIdle.body]).toEqual([409, expect.objectContaining({ error: expect.objectContaining({ code: 'member.not_addable' }) })]);
    const svc = (await api.call<{ account: Member }>('post', `/orgs/${alpha.id}/service-accounts`, provider, { name: 'CI' })).body.account;
    const refusedSvc = await api.call('post', `/orgs/${alpha.id}/members/${svc.id}/add-to-org`, provider, { toOrg: gamma.id });
    expect([refusedSvc.status, refusedSvc.body]).toEqual([409, expect.objectContaining({ error: expect.objectContaining({ code: 'member.not_addable' }) })]);
  });

  it('when the directory refuses the credentials, then the connection resource says action_required and what to fix, and a successful test clears it', async () => {
    const runs = `/orgs/${contoso.id}/connections/${conn.id}/runs`;
    const refused = { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } } };
    fake.server.inject('users.delta', refused, 1000);
    fake.server.inject('users.list', refused, 1000);
    const run = await api.call<Summary & { failure?: { class: string; code: string } }>('post', runs, provider, {});
    fake.server.clearFaults();
    expect(run.body.failure).toMatchObject({ class: 'terminal', code: 'connector.auth_failed' });
    const stopped = await api.call<Connection & { health: string; actionRequired?: { code: string; hint: string; runId: string } }>('get', `/orgs/${contoso.id}/connections/${conn.id}`, provider);
    expect(stopped.body).toMatchObject({ health: 'action_required', actionRequired: { code: 'connector.auth_failed', hint: expect.stringContaining('connections update'), runId: run.body.runId } });
    expect((await api.call('post', `/orgs/${contoso.id}/connections/${conn.id}/test`, provider)).body).toMatchObject({ ok: true });
    const released = await api.call<Connection & { health: string; actionRequired?: unknown }>('get', `/orgs/${contoso.id}/connections/${conn.id}`, provider);
    expect(released.body.health).toBe('unknown');
    expect(released.body.actionRequired).toBeUndefined();
  });
});

