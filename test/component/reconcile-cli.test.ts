import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent, Member, Organization } from '../../src/domain/model.js';
import type { RunSummary } from '../../src/services/reconcile/service.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET = 'graph-secret';

describe.each(STORES)('reconcile against a local Microsoft Graph, on %s', (kind) => {
  let fake: GraphFake;
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let org: Organization;
  let conn: string;
  const members: Record<number, Member> = {};

  const run = async (...extra: string[]) => {
    const r = await cli(f.env, f.cwd, 'reconcile', '--connection', conn, '--json', ...extra);
    return { code: r.code, summary: r.json<RunSummary>() };
  };
  const status = async (i: number) => (await cli(f.env, f.cwd, 'members', 'get', members[i]!.id, '--org', org.id, '--json')).json<Member>();
  const file = (name: string, body: unknown) => {
    const p = join(f.cwd, name);
    writeFileSync(p, JSON.stringify(body));
    return p;
  };

  beforeAll(async () => {
    f = await scimFixture(kind);
    fake = await new GraphFake({ users: 20, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
    org = (await cli(f.env, f.cwd, 'orgs', 'create', '--name', 'Contoso', '--json')).json<Organization>();
    for (let i = 0; i < 10; i++) {
      members[i] = (await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', `user${i}@contoso.example`, '--role', i === 0 ? 'owner' : 'member', '--json')).json<Member>();
    }
    await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', 'contractor@gmail.com', '--json');
    const config = file('graph.json', { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url });
    const policy = file('policy.json', { maxDeactivations: 10, maxDeactivationPercent: 100 });
    conn = (await cli(f.env, f.cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', config, '--policy', policy, '--json')).json<{ id: string }>().id;
  });
  afterAll(async () => {
    await fake.stop();
    await f.dispose();
  });

  it('when a dry run is made, then it shows the plan and changes nothing', async () => {
    const { code, summary } = await run('--dry-run');
    expect(code).toBe(0);
    expect(summary).toMatchObject({ status: 'completed', dryRun: true, listed: 20, matched: 10, deactivated: 0 });
    expect((await status(1)).identities).toEqual([]);
    const runGet = (await cli(f.env, f.cwd, 'runs', 'get', summary.runId, '--json')).json<{ plan: { kind: string }[] }>();
    expect(runGet.plan.filter((a) => a.kind === 'link')).toHaveLength(10);
  });

  it('when the first real run happens, then members are linked to their directory ids and nobody is deactivated', async () => {
    const { summary } = await run();
    expect(summary).toMatchObject({ status: 'completed', linked: 10, deactivated: 0, held: 0 });
    expect((await status(1)).identities).toEqual([{ provider: 'microsoft', subject: expect.any(String) }]);
  });

  it('when a user is disabled or deleted upstream, then the member is deactivated with evidence in the audit trail', async () => {
    fake.disable(1);
    fake.remove(2, 'deleted');
    const { summary } = await run();
    expect(summary).toMatchObject({ status: 'completed', deactivated: 2 });
    expect(await status(1)).toMatchObject({ status: 'inactive', deactivation: { by: { kind: 'directory', id: conn }, reason: 'suspended in the directory' } });
    // Graph's delta reports the removal as a bare id; a point lookup confirms it before anyone acts.
    expect((await status(2)).deactivation?.reason).toBe('deleted in the directory');
    const audit = (await cli(f.env, f.cwd, 'audit', 'list', '--org', org.id, '--limit', '1000', '--json')).json<AuditEvent[]>();
    const evidence = audit.find((e) => e.action === 'member.deactivated' && e.target.id === members[2]!.id)?.evidence;
    expect(evidence).toMatchObject({ kind: 'deleted', confirmedByLookup: true, match: 'identity', directoryId: expect.any(String), runId: summary.runId, listingMode: 'delta', guards: { listing_complete: 'passed', size_drop: 'passed', deactivation_budget: 'passed' } });
  });

  it('when the owner is disabled upstream, then the owner is protected and stays active', async () => {
    fake.disable(0);
    const { summary } = await run();
    expect(summary).toMatchObject({ deactivated: 0, protected: 1 });
    expect((await status(0)).status).toBe('active');
  });

  it('when the directory fails mid-listing, then the run is incomplete and nobody is deactivated', async () => {
    fake.disable(3);
    // One first attempt and the client's five retries: all six fail, then the listing gives up.
    fake.server.inject('users.delta', { status: 503, headers: { 'retry-after': '0' }, body: { error: { code: 'serviceNotAvailable' } } }, 6);
    const { code, summary } = await run();
    expect(code).toBe(1);
    expect(summary).toMatchObject({ status: 'incomplete', deactivated: 0 });
    expect(summary.guards[0]).toMatchObject({ guard: 'listing_complete', passed: false });
    expect((await status(3)).status).toBe('active');
  });

  it('when more deactivations than the budget are due, then the excess is held and approval applies it', async () => {
    await cli(f.env, f.cwd, 'connections', 'update', conn, '--policy', file('tight.json', { maxDeactivations: 1 }));
    fake.disable(4);
    const held = await run();
    expect(held.summary).toMatchObject({ status: 'held', deactivated: 1, held: 1 });
    const listed = (await cli(f.env, f.cwd, 'runs', 'list', '--connection', conn, '--json')).json<{ id: string; status: string }[]>();
    expect(listed[0]).toMatchObject({ id: held.summary.runId, status: 'held' });
    const approved = (await cli(f.env, f.cwd, 'runs', 'approve', held.summary.runId, '--max', '5', '--json')).json<RunSummary>();
    expect(approved).toMatchObject({ deactivated: 1, held: 0 });
    expect([(await status(3)).status, (await status(4)).status]).toEqual(['inactive', 'inactive']);
    expect((await cli(f.env, f.cwd, 'runs', 'get', held.summary.runId, '--json')).json()).toMatchObject({ status: 'approved' });
    const twice = await cli(f.env, f.cwd, 'runs', 'approve', held.summary.runId);
    expect([twice.code, twice.stderr]).toEqual([1, expect.stringContaining('run.not_held')]);
  });

  it('when a dry run is held by the budget, then the CLI refuses to approve or reject it with run.dry_run and it stays held', async () => {
    fake.disable(5);
    fake.disable(6);
    try {
      const dry = await run('--dry-run');
      expect(dry.summary).toMatchObject({ status: 'held', dryRun: true, held: 1 });
      for (const verb of ['approve', 'reject']) {
        const refused = await cli(f.env, f.cwd, 'runs', verb, dry.summary.runId);
        expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('run.dry_run')]);
      }
      expect((await cli(f.env, f.cwd, 'runs', 'get', dry.summary.runId, '--json')).json()).toMatchObject({ status: 'held', dryRun: true });
      expect([(await status(5)).status, (await status(6)).status]).toEqual(['active', 'active']);
    } finally {
      fake.enable(5);
      fake.enable(6);
    }
  });

  it('when auto-invite is on, then active directory users who are not members get one invitation each, and never twice', async () => {
    await cli(f.env, f.cwd, 'connections', 'update', conn, '--policy', file('invite.json', { autoInvite: true }));
    const first = await run();
    expect(first.summary.invited).toBe(10);
    const second = await run();
    expect(second.summary.invited).toBe(0);
    const invites = (await cli(f.env, f.cwd, 'invites', 'list', '--org', org.id, '--json')).json<{ email: string; status: string }[]>();
    expect(invites.map((i) => i.email).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `user${i + 10}@contoso.example`).sort());
  });

  it('when nothing changed upstream, then the run reads Graph through its delta: one call plus the token', async () => {
    const { summary } = await run();
    expect(summary).toMatchObject({ status: 'completed', listingMode: 'delta', listed: 0, deactivated: 0 });
    expect(summary.apiCalls).toBeLessThanOrEqual(2);
  });

  it('when a removal cannot be confirmed by a point lookup, then nobody is deactivated and the next run sees the change again', async () => {
    fake.remove(5);
    fake.server.inject('users.get', { status: 500, body: { error: { code: 'generalException' } } }, 6);
    const first = await run();
    expect(first.summary).toMatchObject({ status: 'completed', listingMode: 'delta', deactivated: 0 });
    expect((await status(5)).status).toBe('active');
    const second = await run();
    expect(second.summary).toMatchObject({ listingMode: 'delta', deactivated: 1 });
    expect((await status(5)).status).toBe('inactive');
  });

  it('when the stored delta cursor has expired, then the run falls back to a full round and changes nothing wrongly', async () => {
    fake.expireDeltaTokens();
    const { summary } = await run();
    expect(summary).toMatchObject({ status: 'completed', listingMode: 'full', deactivated: 0, reactivated: 0 });
    expect(summary.listed).toBeGreaterThanOrEqual(18);
  });

  it('when policy.inviteLink is on, then a run mints the gated link and `connections invite-link` prints its URL', async () => {
    expect((await cli(f.env, f.cwd, 'connections', 'invite-link', conn)).code).not.toBe(0);
    await cli(f.env, f.cwd, 'connections', 'update', conn, '--policy', file('link.json', { inviteLink: true }));
    const { summary } = await run();
    expect(summary.inviteLink).toMatchObject({ action: 'minted' });
    const printed = await cli(f.env, f.cwd, 'connections', 'invite-link', conn, '--json');
    expect(printed.json<{ linkId: string; url: string }>()).toEqual({ linkId: summary.inviteLink!.linkId, url: expect.stringMatching(/\/join\//) });
  });

  it('when users are enabled again upstream, then only the member the reconciler deactivated is reactivated', async () => {
    // user 1 was deactivated by the reconciler (disabled upstream); user 6 by an admin.
    expect((await cli(f.env, f.cwd, 'members', 'deactivate', members[6]!.id, '--org', org.id)).code).toBe(0);
    fake.enable(1);
    fake.touch(6);
    const { summary } = await run();
    expect(summary).toMatchObject({ reactivated: 1, deactivated: 0 });
    expect(await status(1)).toMatchObject({ status: 'active' });
    expect((await status(6)).status).toBe('inactive');
    const audit = (await cli(f.env, f.cwd, 'audit', 'list', '--org', org.id, '--limit', '1000', '--json')).json<AuditEvent[]>();
    expect(audit.find((e) => e.action === 'member.activated' && e.target.id === members[1]!.id)).toMatchObject({ actor: { kind: 'directory', id: conn } });
  });
});
