import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { isIdsyncError } from '../../src/domain/errors.js';
import type { MergePlan } from '../../src/domain/merge-plan.js';
import type { Member } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { collect } from '../../src/ports/paging.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import { aConnection, draft } from '../../src/store/conformance/fixtures.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { RedisTestServer } from '../support/redis-server.js';
import { code, memoryMailer, steppingClock } from '../support/services.js';

let redis: RedisTestServer;
let prefix = 0;
beforeAll(async () => {
  redis = await RedisTestServer.start();
});
afterAll(async () => {
  await redis.dispose();
});

type ClosableStore = Store & { close(): Promise<void> | void };
const setups: [string, () => ClosableStore][] = [
  ['sqlite', () => openSqliteStore({ path: ':memory:' })],
  ['redis', () => createRedisStore({ connection: { url: redis.url }, keyPrefix: `merge${++prefix}` })],
];

const OP = { kind: 'cli' as const, label: 'operator' };
const clock = steppingClock();

function servicesOn(store: Store): Services {
  return createServices({ store, clock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9), mailer: memoryMailer(), publicUrl: 'https://idsync.test' });
}

/**
 * A store whose `method` fails after `okCalls` successful calls: a process that dies there. Failing
 * `updateMerge` stops the merge after a step was applied and before the journal says so.
 */
function dyingAfter(store: Store, method: keyof Store, okCalls: number): Store {
  let calls = 0;
  const real = store[method] as (...a: unknown[]) => Promise<unknown>;
  const dying = (...args: unknown[]) => (++calls > okCalls ? Promise.reject(new Error(`killed at ${String(method)} call ${calls}`)) : real(...args));
  return { ...store, [method]: dying };
}

/** The plan with the ids each planning mints numbered in order of minting: what a dry run and the applied merge must agree on. */
function comparable(p: MergePlan): unknown {
  const minted = [
    ...p.connections.flatMap((c) => (c.kind === 'move' ? [c.newConnectionId] : [])),
    ...p.members.flatMap((m) => (m.kind === 'copy' ? [m.newMemberId] : [])),
    ...p.teams.flatMap((t) => (t.kind === 'create' ? [t.targetTeamId] : [])),
    ...p.links.map((l) => l.newLinkId),
  ];
  return JSON.parse(JSON.stringify(p, (_k, v: unknown) => (typeof v === 'string' && minted.includes(v) ? `<minted ${minted.indexOf(v)}>` : v)));
}

async function auditActions(store: Store, orgId: string, afterSeq: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const e of await store.listAudit(orgId, { afterSeq })) out[e.action] = (out[e.action] ?? 0) + 1;
  return out;
}

describe.each(setups)('organization merge on %s', (_name, open) => {
  let store: ClosableStore;
  let s: Services;
  beforeEach(() => {
    store = open();
    s = servicesOn(store);
  });
  afterEach(async () => {
    await store.close();
  });

  /** Two orgs that overlap: people in both (by email, by a shared identity), a team in both, clashing invitations and a directory connected to both. */
  async function world() {
    const src = await s.orgs.create({ name: 'Acme (signed up twice)' }, OP);
    const dst = await s.orgs.create({ name: 'Acme' }, OP);
    const add = (orgId: string, email: string, role: Member['role'] = 'member') => s.members.create(orgId, { email, role }, OP);
    const alice = await add(src.id, 'alice@acme.test', 'owner');
    const bobS = await add(src.id, 'bob@acme.test', 'admin');
    const carol = await add(src.id, 'carol@home.test');
    const erin = await add(src.id, 'erin@acme.test');
    await s.members.deactivate(src.id, erin.id, OP, 'left');
    await s.members.linkIdentity(src.id, carol.id, { provider: 'github', subject: 'gh-carol' }, OP);
    await s.members.linkIdentity(src.id, carol.id, { provider: 'google', subject: 'g-carol' }, OP);
    const owner = await add(dst.id, 'olga@acme.test', 'owner');
    const bobT = await add(dst.id, 'bob@acme.test');
    const dave = await add(dst.id, 'carol@acme.test');
    await s.members.linkIdentity(dst.id, dave.id, { provider: 'github', subject: 'gh-carol' }, OP);
    const engS = await s.teams.create(src.id, { displayName: 'Eng' }, OP);
    await s.teams.addMembers(src.id, engS.id, [alice.id, bobS.id], OP);
    const ops = await s.teams.create(src.id, { displayName: 'Ops' }, OP);
    await s.teams.addMembers(src.id, ops.id, [carol.id], OP);
    const engT = await s.teams.create(dst.id, { displayName: 'eng' }, OP);
    await s.teams.addMembers(dst.id, engT.id, [bobT.id], OP);
    await s.invitations.invite(src.id, { email: 'frank@acme.test', teamIds: [ops.id] }, OP);
    await s.invitations.invite(src.id, { email: 'gina@acme.test' }, OP);
    await s.invitations.invite(dst.id, { email: 'gina@acme.test' }, OP);
    await s.invitations.invite(src.id, { email: 'olga@acme.test' }, OP);
    const link = await s.links.create(src.id, { teamId: engS.id, maxUses: 5 }, OP);
    const token = await s.credentials.createScimToken(src.id, OP, 'okta');
    const svc = await s.serviceAccounts.create(src.id, { name: 'ci' }, OP);
    const googleS = aConnection(src.id, { settings: { domain: 'acme.test' } });
    const github = aConnection(src.id, { provider: 'github', name: 'GitHub', settings: { org: 'acme' } });
    const googleT = aConnection(dst.id, { settings: { domain: 'ACME.test' } });
    for (const c of [googleS, github, googleT]) await store.createConnection(c, draft(c.orgId, 'connection.created', c.id));
    return { src, dst, alice, bobT, dave, erin, engT, owner, link, token, svc, googleS, googleT, github };
  }

  it('when two overlapping orgs are merged, then the dry run is what applying does, people fold or move, and the source is closed', async () => {
    const w = await world();
    const heads = { src: (await store.listAudit(w.src.id)).length, dst: (await store.listAudit(w.dst.id)).length };
    const dry = await s.merges.merge(w.src.id, w.dst.id, OP, { dryRun: true });
    expect(dry).toMatchObject({ status: 'planned', dryRun: true, plan: { blockers: [] } });
    expect((await store.getOrg(w.src.id))?.state).toBeUndefined();
    expect(await store.getMerge(w.src.id)).toBeUndefined();

    const applied = await s.merges.merge(w.src.id, w.dst.id, OP);
    expect(applied.status).toBe('completed');
    expect(comparable(applied.plan)).toEqual(comparable(dry.plan));
    // What the dry run said would be written is what both chains got.
    expect(await auditActions(store, w.src.id, heads.src)).toEqual(dry.auditCounts[w.src.id]);
    expect(await auditActions(store, w.dst.id, heads.dst)).toEqual(dry.auditCounts[w.dst.id]);
    for (const [org, head] of [[w.src.id, heads.src], [w.dst.id, heads.dst]] as const) {
      expect((await store.listAudit(org, { afterSeq: head })).map((e) => e.action)).toEqual(dry.plan.audit.filter((a) => a.orgId === org).map((a) => a.action));
    }
    expect((await s.audit.verify(w.src.id)).ok).toBe(true);
    expect((await s.audit.verify(w.dst.id)).ok).toBe(true);

    // People: bob and carol (matched by a shared GitHub identity) fold; alice and erin move.
    const live = await collect((p) => store.listMembers(w.dst.id, { ...p, statuses: ['active', 'inactive'] }));
    const byName = new Map(live.map((m) => [m.userName, m]));
    expect([...byName.keys()].sort()).toEqual(['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'erin@acme.test', 'olga@acme.test', 'service:ci']);
    expect(byName.get('bob@acme.test')).toMatchObject({ id: w.bobT.id, role: 'admin' });
    expect(byName.get('carol@acme.test')?.identities.map((i) => i.subject).sort()).toEqual(['g-carol', 'gh-carol']);
    expect(byName.get('alice@acme.test')).toMatchObject({ role: 'owner', status: 'active' });
    expect(byName.get('erin@acme.test')).toMatchObject({ status: 'inactive', deactivation: { reason: 'left' } });
    const moved = (await store.listAudit(w.dst.id, { afterSeq: heads.dst })).filter((e) => e.action === 'member.created' || e.action === 'member.merged');
    expect(moved.every((e) => e.source === 'merge')).toBe(true);

    // Teams merged by name, memberships carried.
    const teams = await collect((p) => store.listTeams(w.dst.id, p));
    expect(teams.map((t) => t.displayName).sort()).toEqual(['Ops', 'eng']);
    expect((await collect((p) => store.listTeamMembers(w.dst.id, w.engT.id, p))).sort()).toEqual([w.bobT.id, byName.get('alice@acme.test')!.id].sort());
    const ops = teams.find((t) => t.displayName === 'Ops')!;
    expect(await collect((p) => store.listTeamMembers(w.dst.id, ops.id, p))).toEqual([w.dave.id]);

    // Invitations: frank moves (into Ops), gina and olga clash and are withdrawn with the reason.
    const pending = (await store.listInvitations(w.dst.id, { statuses: ['pending'] })).items;
    expect(pending.map((i) => i.email).sort()).toEqual(['frank@acme.test', 'gina@acme.test']);
    expect(pending.find((i) => i.email === 'frank@acme.test')?.teamIds).toEqual([ops.id]);
    const ended = (await store.listInvitations(w.src.id)).items;
    expect(ended.every((i) => i.status === 'revoked')).toBe(true);
    expect(ended.find((i) => i.email === 'olga@acme.test')?.endReason).toContain(`already member ${w.owner.id}`);
    expect(ended.find((i) => i.email === 'gina@acme.test')?.endReason).toContain('already has a pending invitation');

    // Connections: the same Google domain is refused (disabled, with the reason); GitHub moves.
    const refused = applied.plan.connections.find((c) => c.kind === 'refuse');
    expect(refused).toMatchObject({ sourceConnectionId: w.googleS.id, clashesWith: w.googleT.id });
    expect((await store.getConnection(w.googleS.id))?.enabled).toBe(false);
    expect(await store.getConnection(w.github.id)).toBeUndefined();
    expect((await store.listConnections(w.dst.id)).map((c) => c.provider).sort()).toEqual(['github', 'google']);

    // The source is closed: state and where it went, its token and link refused, its members unreadable.
    expect(await store.getOrg(w.src.id)).toMatchObject({ state: 'merged', mergedInto: w.dst.id });
    expect((await store.getOrg(w.dst.id))?.mergedFrom).toEqual([w.src.id]);
    expect(await code(s.credentials.authenticateScim(w.token.token))).toBe('auth.unauthorized');
    // The service account moves as one (kind kept); its key, scoped to the source, is revoked.
    expect(byName.get('service:ci')).toMatchObject({ kind: 'service', emails: [] });
    expect(await code(s.credentials.authenticateAdmin(w.svc.key))).toBe('auth.unauthorized');
    expect(applied.plan.credentials.map((c) => c.kind).sort()).toEqual(['admin_key', 'scim_token']);
    expect(await code(s.links.use(new URL(w.link.url).pathname.split('/').pop()!, 'zed@acme.test'))).toBe('link.revoked');
    const gone = await s.members.list(w.src.id).catch((e: unknown) => e);
    expect(isIdsyncError(gone, 'org.merged') && gone.details).toMatchObject({ mergedInto: w.dst.id });
    expect(applied.linkUrls).toHaveLength(1);
    expect(await code(s.orgs.update(w.src.id, { name: 'Reopened' }, OP))).toBe('org.merged');
    // Both outboxes carry org.merged (what webhooks deliver).
    for (const org of [w.src.id, w.dst.id]) expect((await store.listOutbox(org)).some((o) => o.type === 'org.merged')).toBe(true);

    // Running it again does nothing more.
    const again = await s.merges.merge(w.src.id, w.dst.id, OP);
    expect(again).toMatchObject({ status: 'completed', stepsApplied: 0 });
    const other = await s.orgs.create({ name: 'Other' }, OP);
    expect(await code(s.merges.merge(w.src.id, other.id, OP))).toBe('org.merge_refused');
    expect(await code(s.merges.merge(other.id, w.src.id, OP))).toBe('org.merged');
  });

  it.each([
    ['a member write fails half way', 'createMember' as const, 1],
    ['the journal is not told that a step was applied', 'updateMerge' as const, 6],
  ])('when the process dies because %s and the merge is run again, then it finishes with nothing lost and nothing written twice', async (_why, method, okCalls) => {
    const w = await world();
    const heads = { src: (await store.listAudit(w.src.id)).length, dst: (await store.listAudit(w.dst.id)).length };
    const dying = servicesOn(dyingAfter(store, method, okCalls));
    await expect(dying.merges.merge(w.src.id, w.dst.id, OP)).rejects.toThrow(/killed/);
    const journal = await store.getMerge(w.src.id);
    expect(journal?.status).toBe('running');
    expect((await store.getOrg(w.src.id))?.state).toBe('merging');
    expect(await code(s.members.list(w.src.id))).toBe('org.merged');

    const resumed = await s.merges.merge(w.src.id, w.dst.id, OP);
    expect(resumed.status).toBe('completed');
    expect(resumed.stepsApplied).toBeLessThan(journal!.plan.audit.length);
    expect(await auditActions(store, w.src.id, heads.src)).toEqual(resumed.auditCounts[w.src.id]);
    expect(await auditActions(store, w.dst.id, heads.dst)).toEqual(resumed.auditCounts[w.dst.id]);
    const live = await collect((p) => store.listMembers(w.dst.id, { ...p, statuses: ['active', 'inactive'] }));
    expect(live.map((m) => m.userName).sort()).toEqual(['alice@acme.test', 'bob@acme.test', 'carol@acme.test', 'erin@acme.test', 'olga@acme.test', 'service:ci']);
    expect((await s.audit.verify(w.src.id)).ok).toBe(true);
    expect((await s.audit.verify(w.dst.id)).ok).toBe(true);
  });
});
