/**
 * Directory groups kept as teams (issue 17), end to end on each store: real services, the three
 * local directories over HTTP (Graph group delta, Google groups + members, GitHub teams), role
 * mappings of source microsoft, google and github that follow the membership, the team_shrink
 * guard holding a big shrink until an approval, an incomplete group read changing nothing, and a
 * dry run that shows the team changes without writing them. Connector waits are virtual.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_CONNECTORS } from '../../src/connectors/index.js';
import { createConnectorRegistry } from '../../src/connectors/registry.js';
import type { Actor, Member, Team } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock } from '../../src/ports/clock.js';
import { collect } from '../../src/ports/paging.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import type { RecordedTeamAction } from '../../src/services/reconcile/team-sync.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { GithubFake } from '../fakes/github-fake.js';
import { DIRECTORY_READONLY, GoogleFake, GROUP_READONLY } from '../fakes/google-fake.js';
import { graphId, GraphFake } from '../fakes/graph-fake.js';
import { rsaKeys } from '../support/connectors.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';

const ACTOR: Actor = { kind: 'cli', label: 'directory groups test' };
const USERS = 12;
const keys = rsaKeys();
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const ENG = 'a0000000-0000-4000-8000-000000000001';
const SALES = 'a0000000-0000-4000-8000-000000000002';
const NESTED = 'a0000000-0000-4000-8000-0000000000ff';

/** Built-in connectors whose waits advance a virtual clock, and few retries: a 500 storm ends fast. */
function pacedRegistry() {
  return createConnectorRegistry(
    BUILTIN_CONNECTORS.map((f) => ({
      ...f,
      open: (config: Parameters<typeof f.open>[0], deps: Parameters<typeof f.open>[1]) => {
        let skew = 0;
        const real = deps.clock;
        return f.open(config, { ...deps, limits: { maxRetries: 1, requestTimeoutMs: 5_000 }, clock: { now: () => new Date(real.now().getTime() + skew) }, sleep: async (ms: number) => void (skew += ms) });
      },
    })),
  );
}

describe.each(STORES)('directory groups as teams on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let services: Services;
  const graph = new GraphFake({ users: USERS, tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret' });
  const google = new GoogleFake({ users: USERS, serviceAccountEmail: 'sa@p.iam.gserviceaccount.com', publicKeyPem: keys.publicPem, admins: ['admin@example.com'], delegatedScopes: [DIRECTORY_READONLY, GROUP_READONLY] });
  const github = new GithubFake({ org: 'acme', members: USERS, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, saml: true });

  beforeAll(async () => {
    await Promise.all([graph.start(), google.start(), github.start()]);
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      store = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'dgroups' });
    } else {
      store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'idsync-dgroups-')), 'idsync.db') });
    }
    services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: pacedRegistry(), secretKey: Buffer.alloc(32, 5) });
  });
  afterAll(async () => {
    await store.close();
    await redis?.dispose();
    await Promise.all([graph.stop(), google.stop(), github.stop()]);
  });

  /** An org whose members are the directory's users (user 0 the owner), matched by email on the first run. */
  async function orgWith(name: string, email: (i: number) => string): Promise<{ orgId: string; members: Member[] }> {
    const org = await services.orgs.create({ name }, ACTOR);
    const members: Member[] = [];
    for (let i = 0; i < USERS; i++) members.push(await services.members.create(org.id, { email: email(i), role: i === 0 ? 'owner' : 'member' }, ACTOR));
    return { orgId: org.id, members };
  }
  const teamsOf = async (orgId: string, connectionId: string): Promise<Team[]> => (await collect((p) => store.listTeams(orgId, p))).filter((t) => t.directoryGroup?.connectionId === connectionId);
  const memberSet = async (orgId: string, teamId: string) => new Set(await services.teams.memberIds(orgId, teamId));
  const roleOf = async (orgId: string, m: Member) => (await store.getMember(orgId, m.id))!.role;

  it('when Graph group delta adds and removes members and renames the group, then the team follows and the mapped role follows the membership', async () => {
    graph.groups.add(ENG, 'Engineering', [graphId(1), graphId(2), graphId(3)], NESTED);
    graph.groups.add(SALES, 'Sales', [graphId(4)]);
    const { orgId, members } = await orgWith('Graph groups', (i) => `user${i}@contoso.example`);
    await services.roleMappings.set(orgId, { source: 'microsoft', group: ENG.toUpperCase(), role: 'admin' }, ACTOR);
    const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret', graphBaseUrl: graph.url, authorityHost: graph.url, groups: { ids: [ENG, SALES] } };
    const conn = await services.connections.create(orgId, { provider: 'microsoft', config }, ACTOR);

    const first = await services.reconcile.run(conn.id);
    expect(first).toMatchObject({ status: 'completed', teams: { mode: 'full', complete: true, groups: 2, created: 2, added: 4, removed: 0, rolesChanged: 3 } });
    const [eng, sales] = await teamsOf(orgId, conn.id);
    expect(eng).toMatchObject({ displayName: 'Engineering', directoryGroup: { provider: 'microsoft', groupId: ENG, key: ENG } });
    expect(sales!.displayName).toBe('Sales');
    expect(await memberSet(orgId, eng!.id)).toEqual(new Set([members[1]!.id, members[2]!.id, members[3]!.id]));
    expect([await roleOf(orgId, members[2]!), await roleOf(orgId, members[4]!), await roleOf(orgId, members[5]!)]).toEqual(['admin', 'member', 'member']);
    // A mapping preview of another synced group lists its members before anything is saved.
    const preview = await services.roleMappings.preview(orgId, { source: 'microsoft', group: SALES, role: 'admin' });
    expect(preview.changes.map((c) => [c.memberId, c.to])).toEqual([[members[4]!.id, 'admin']]);

    graph.groups.addMember(ENG, graphId(5));
    graph.groups.removeMember(ENG, graphId(2));
    graph.groups.rename(ENG, 'Engineering Team');
    const deltaCallsBefore = graph.server.calls('groups.delta');
    const second = await services.reconcile.run(conn.id);
    expect(second).toMatchObject({ status: 'completed', teams: { mode: 'delta', groups: 1, renamed: 1, added: 1, removed: 1, rolesChanged: 2 } });
    // One delta page holds the one changed group: one call, not a re-read of both groups.
    expect(graph.server.calls('groups.delta') - deltaCallsBefore).toBe(1);
    expect((await store.getTeam(orgId, eng!.id))!.displayName).toBe('Engineering Team');
    expect(await memberSet(orgId, eng!.id)).toEqual(new Set([members[1]!.id, members[3]!.id, members[5]!.id]));
    expect(await roleOf(orgId, members[5]!)).toBe('admin');
    const demoted = (await store.getMember(orgId, members[2]!.id))!;
    expect(demoted).toMatchObject({ role: 'member', roleSource: { kind: 'default' } });

    // The membership changes are audited with the run that made them.
    const audit = await store.listAudit(orgId, { limit: 1000 });
    const removed = audit.find((e) => e.action === 'team.members_removed' && e.target.id === eng!.id);
    expect(removed).toMatchObject({ source: 'reconcile', actor: { kind: 'directory', id: conn.id }, evidence: { kind: 'directoryGroup', runId: second.runId, groupId: ENG, listingMode: 'delta' }, after: { removed: [members[2]!.id] } });
    const plan = (await store.getRun(second.runId))!.plan as RecordedTeamAction[];
    expect(plan.filter((a) => a.kind.startsWith('team.')).map((a) => [a.kind, a.outcome.status])).toEqual([
      ['team.rename', 'applied'],
      ['team.add', 'applied'],
      ['team.remove', 'applied'],
    ]);
  });

  it('when Entra groups are selected by a filter, throttled once, or the stored group cursor is refused, then a full read keeps the teams exact', async () => {
    const OPS = 'a0000000-0000-4000-8000-000000000003';
    graph.groups.add(OPS, 'Ops-East', [graphId(6), graphId(7), graphId(8)]);
    const { orgId, members } = await orgWith('Graph filter', (i) => `user${i}@contoso.example`);
    const base = { tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret', graphBaseUrl: graph.url, authorityHost: graph.url };
    const byFilter = await services.connections.create(orgId, { provider: 'microsoft', config: { ...base, groups: { filter: "startswith(displayName,'Ops-')" } } }, ACTOR);
    const listCalls = graph.server.calls('groups.list');
    expect(await services.reconcile.run(byFilter.id)).toMatchObject({ status: 'completed', teams: { mode: 'full', groups: 1, created: 1, added: 3 } });
    expect(graph.server.calls('groups.list') - listCalls).toBe(1);
    const [ops] = await teamsOf(orgId, byFilter.id);
    expect(await memberSet(orgId, ops!.id)).toEqual(new Set([6, 7, 8].map((i) => members[i]!.id)));

    // Delta: a cursor Graph refuses (410 syncStateNotFound) starts a full round; nothing is lost or duplicated.
    await services.connections.setGroups(byFilter.id, { ids: [OPS] }, ACTOR);
    // Throttled once (429 with Retry-After, waited out on the virtual clock): the read still completes.
    const served = graph.server.faultsServed;
    graph.server.inject('groups.delta', { status: 429, headers: { 'retry-after': '5' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } } });
    expect(await services.reconcile.run(byFilter.id)).toMatchObject({ status: 'completed', teams: { mode: 'full', complete: true, created: 0, added: 0, removed: 0 } });
    expect(graph.server.faultsServed - served).toBe(1);
    graph.groups.removeMember(OPS, graphId(8));
    graph.groups.expireDeltaTokens();
    expect(await services.reconcile.run(byFilter.id)).toMatchObject({ status: 'completed', teams: { mode: 'full', removed: 1 } });
    expect(await memberSet(orgId, ops!.id)).toEqual(new Set([6, 7].map((i) => members[i]!.id)));
    expect(await services.reconcile.run(byFilter.id)).toMatchObject({ teams: { mode: 'delta', groups: 0, added: 0, removed: 0 } });
  });

  it('when a Google connection selects groups by email, then each group becomes a team with its users (nested ones included) and a google mapping applies', async () => {
    google.groups.add('eng@example.com', 'Eng', [1, 2]);
    google.groups.add('all@example.com', 'Everyone', [3], 'eng@example.com');
    const { orgId, members } = await orgWith('Google groups', (i) => `user${i}@example.com`);
    await services.roleMappings.set(orgId, { source: 'google', group: 'Eng@Example.com', role: 'admin' }, ACTOR);
    const config = { adminEmail: 'admin@example.com', serviceAccountKey: { client_email: 'sa@p.iam.gserviceaccount.com', private_key: keys.pkcs8 }, apiBaseUrl: google.url, tokenUrl: google.tokenUrl, groups: { emails: ['eng@example.com', 'all@example.com'] } };
    const conn = await services.connections.create(orgId, { provider: 'google', config }, ACTOR);

    const run = await services.reconcile.run(conn.id);
    expect(run).toMatchObject({ status: 'completed', teams: { mode: 'full', complete: true, groups: 2, created: 2, rolesChanged: 2 } });
    const teams = await teamsOf(orgId, conn.id);
    const byName = new Map(teams.map((t) => [t.displayName, t]));
    expect(byName.get('Eng')!.directoryGroup).toMatchObject({ provider: 'google', key: 'eng@example.com' });
    expect(await memberSet(orgId, byName.get('Eng')!.id)).toEqual(new Set([members[1]!.id, members[2]!.id]));
    expect(await memberSet(orgId, byName.get('Everyone')!.id)).toEqual(new Set([members[3]!.id, members[1]!.id, members[2]!.id]));
    expect([await roleOf(orgId, members[1]!), await roleOf(orgId, members[3]!)]).toEqual(['admin', 'member']);
    // members.list pages: Eng 2 users (1 page), Everyone 1 user + 1 group + 2 derived (2 pages); plus 2 groups.get.
    expect([google.server.calls('groups.get'), google.server.calls('members.list')]).toEqual([2, 3]);
  });

  it('when a page of members fails with 500s, then the group read is incomplete and no team changes', async () => {
    const g = google.groups.add('ops@example.com', 'Ops', [4, 5, 6, 7, 8]);
    const { orgId, members } = await orgWith('Google incomplete', (i) => `user${i}@example.com`);
    const config = { adminEmail: 'admin@example.com', serviceAccountKey: { client_email: 'sa@p.iam.gserviceaccount.com', private_key: keys.pkcs8 }, apiBaseUrl: google.url, tokenUrl: google.tokenUrl, groups: { query: 'email:ops*' } };
    const conn = await services.connections.create(orgId, { provider: 'google', config }, ACTOR);
    expect(await services.reconcile.run(conn.id)).toMatchObject({ status: 'completed', teams: { created: 1, added: 5 } });
    const [ops] = await teamsOf(orgId, conn.id);

    g.users.delete(4);
    g.users.delete(5);
    g.users.add(9);
    const fault = { status: 500, body: { error: { code: 500, message: 'Backend Error', errors: [{ message: 'Backend Error', domain: 'global', reason: 'backendError' }] } }, when: (req: { url: URL }) => req.url.searchParams.has('pageToken') };
    google.server.inject('members.list', fault, 10);
    const run = await services.reconcile.run(conn.id);
    google.server.clearFaults();
    expect(run).toMatchObject({ status: 'incomplete', teams: { complete: false, created: 0, added: 0, removed: 0, error: { code: 'connector.upstream_error' } } });
    expect(run.guards).toContainEqual(expect.objectContaining({ guard: 'groups_complete', passed: false }));
    expect(await memberSet(orgId, ops!.id)).toEqual(new Set([4, 5, 6, 7, 8].map((i) => members[i]!.id)));
    expect((await store.getConnection(conn.id))!.health).toBe('degraded');
  });

  it('when a GitHub team shrinks past the limit, then the removals are held while additions go on, and an approval applies them', async () => {
    // Member 11's SAML identity is not linked to an account in the fake: 1..10 are the matchable ones.
    const team = github.teams.add('platform', 'Platform', [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const { orgId, members } = await orgWith('GitHub teams', (i) => `person${i}@corp.example`);
    await services.roleMappings.set(orgId, { source: 'github', group: 'platform', role: 'admin' }, ACTOR);
    const config = { org: 'acme', appId: '4242', installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: github.url, graphqlUrl: `${github.url}/graphql`, groups: { slugs: ['platform'] } };
    const conn = await services.connections.create(orgId, { provider: 'github', config, policy: { maxTeamRemovals: 2, maxTeamRemovalPercent: 20 } }, ACTOR);
    expect(await services.reconcile.run(conn.id)).toMatchObject({ status: 'completed', teams: { created: 1, added: 9, rolesChanged: 9 } });
    const [platform] = await teamsOf(orgId, conn.id);
    expect(platform!.directoryGroup).toMatchObject({ provider: 'github', key: 'platform', groupId: String(team.id) });

    for (const i of [1, 2, 3, 4, 5]) team.members.delete(i);
    team.members.add(10);
    const held = await services.reconcile.run(conn.id);
    expect(held).toMatchObject({ status: 'held', teams: { added: 1, removed: 0, held: 5 } });
    expect(held.guards).toContainEqual(expect.objectContaining({ guard: 'team_shrink', passed: false }));
    const after = await memberSet(orgId, platform!.id);
    expect(after.size).toBe(10);
    expect(after.has(members[10]!.id) && after.has(members[1]!.id)).toBe(true);
    expect(await roleOf(orgId, members[10]!)).toBe('admin');
    expect(await roleOf(orgId, members[1]!)).toBe('admin');

    const approved = await services.reconcile.approve(held.runId, ACTOR);
    expect(approved).toMatchObject({ status: 'completed', teams: { removed: 5, held: 0 } });
    expect(await memberSet(orgId, platform!.id)).toEqual(new Set([6, 7, 8, 9, 10].map((i) => members[i]!.id)));
    expect(await roleOf(orgId, members[1]!)).toBe('member');
    expect((await store.getRun(held.runId))!.status).toBe('approved');
  });

  it('when a dry run meets selected groups, then its plan shows the team changes and nothing is written', async () => {
    github.teams.add('security', 'Security', [2, 3]);
    const { orgId } = await orgWith('GitHub dry run', (i) => `person${i}@corp.example`);
    const config = { org: 'acme', appId: '4242', installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: github.url, graphqlUrl: `${github.url}/graphql`, groups: { slugs: ['security'] } };
    const conn = await services.connections.create(orgId, { provider: 'github', config }, ACTOR);
    const dry = await services.reconcile.run(conn.id, { dryRun: true });
    expect(dry).toMatchObject({ status: 'completed', dryRun: true, teams: { created: 1, added: 2 } });
    const plan = ((await store.getRun(dry.runId))!.plan as RecordedTeamAction[]).filter((a) => a.kind.startsWith('team.'));
    expect(plan).toEqual([
      expect.objectContaining({ kind: 'team.create', name: 'Security', key: 'security', outcome: { status: 'planned' }, evidence: expect.objectContaining({ kind: 'directoryGroup', provider: 'github' }) }),
      expect.objectContaining({ kind: 'team.add', memberIds: expect.any(Array), outcome: { status: 'planned' } }),
    ]);
    expect(await teamsOf(orgId, conn.id)).toEqual([]);

    // "all": the org's teams come from GET /orgs/{org}/teams (Link-paged), not one call per team.
    const all = await services.connections.create(orgId, { provider: 'github', config: { ...config, groups: 'all' } }, ACTOR);
    const [gets, lists] = [github.server.calls('teams.get'), github.server.calls('teams.list')];
    const everyTeam = await services.reconcile.run(all.id, { dryRun: true });
    expect(everyTeam.teams).toMatchObject({ groups: github.teams.teams.length, created: github.teams.teams.length });
    expect([github.server.calls('teams.get') - gets, github.server.calls('teams.list') - lists]).toEqual([0, Math.ceil(github.teams.teams.length / github.teams.pageSize)]);
  });
});
