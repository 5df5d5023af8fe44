import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization, Role } from '../../src/domain/model.js';
import { aMember } from '../../src/store/conformance/fixtures.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

type Sweep = { evaluated: number; changed: number; skipped: number; outcomes: { memberId: string; from: Role; to: Role; result: string; reason?: string }[] };

const SYSTEM = { kind: 'system' as const, label: 'test setup' };

describe.each(STORES)('role-mappings reconcile (the sweep) on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let org: Organization;

  beforeAll(async () => {
    f = await scimFixture(kind);
    ({ org } = await f.newOrg('Drifted'));
  });
  afterAll(async () => f.dispose());

  // Members, teams and a mapping written straight into the store, around the services: roles drift from the mappings.
  async function seed(roles: Role[], teamName: string): Promise<string[]> {
    const ids: string[] = [];
    for (const [i, role] of roles.entries()) {
      const m = aMember(org.id, { role, userName: `${teamName}-${i}@drift.example` });
      await f.daemon.store.createMember(m, { orgId: org.id, actor: SYSTEM, action: 'member.created', target: { type: 'member', id: m.id } });
      ids.push(m.id);
    }
    const team = await f.daemon.services.teams.create(org.id, { displayName: teamName }, SYSTEM);
    await f.daemon.store.addTeamMembers(org.id, team.id, ids, { orgId: org.id, actor: SYSTEM, action: 'team.members_added', target: { type: 'team', id: team.id } });
    return ids;
  }
  const member = async (id: string) => (await f.daemon.store.getMember(org.id, id)) as Member;

  it('when members drifted from the mappings, then one run moves every role in batches with an audit event each, and a second run changes nothing', async () => {
    const admins = await seed(Array(12).fill('member'), 'Admins');
    const bystanders = await seed(['member', 'admin'], 'Bystanders');
    const at = new Date().toISOString();
    await f.daemon.store.createRoleMapping(
      { id: 'rm-admins', orgId: org.id, source: 'scim', group: 'Admins', role: 'admin', precedence: 0, createdAt: at, updatedAt: at, version: 1 },
      { orgId: org.id, actor: SYSTEM, action: 'role_mapping.created', target: { type: 'role_mapping', id: 'rm-admins' } },
    );
    const before = (await f.daemon.store.listAudit(org.id, { limit: 10_000 })).length;
    const run = await cli(f.env, f.cwd, 'role-mappings', 'reconcile', '--org', org.id, '--json');
    expect(run.code).toBe(0);
    const res = run.json<Sweep>();
    expect(res).toMatchObject({ evaluated: 14, changed: 12, skipped: 0 });
    expect(res.outcomes.map((o) => o.memberId).sort()).toEqual([...admins].sort());
    for (const id of admins) expect(await member(id)).toMatchObject({ role: 'admin', roleSource: { kind: 'mapping', mappingId: 'rm-admins' } });
    expect((await member(bystanders[1]!)).role).toBe('admin');
    const events = (await f.daemon.store.listAudit(org.id, { limit: 10_000 })).slice(before);
    expect(events.filter((e) => e.action === 'member.role_changed')).toHaveLength(12);
    expect(events.every((e) => e.source === 'admin' && e.actor.kind === 'cli')).toBe(true);
    expect(events[0]).toMatchObject({ reason: expect.stringContaining('role mapping rm-admins'), evidence: { kind: 'roleMapping', mappingId: 'rm-admins', group: 'Admins' } });
    const again = await cli(f.env, f.cwd, 'role-mappings', 'reconcile', '--org', org.id);
    expect(again.stdout).toContain('14 member(s) evaluated; 0 role(s) changed, 0 skipped by an owner rule');
  });

  it('when a batch would demote both active owners, then the store refuses it whole and the sweep writes member by member: one owner stays, the refusal is audited', async () => {
    await f.daemon.services.orgs.update(org.id, { settings: { ownerByMapping: true } }, SYSTEM);
    const owners = await seed(['owner', 'owner', 'admin'], 'Readers');
    const at = new Date().toISOString();
    await f.daemon.store.createRoleMapping(
      { id: 'rm-readers', orgId: org.id, source: 'scim', group: 'Readers', role: 'member', precedence: 0, createdAt: at, updatedAt: at, version: 1 },
      { orgId: org.id, actor: SYSTEM, action: 'role_mapping.created', target: { type: 'role_mapping', id: 'rm-readers' } },
    );
    const res = await f.daemon.services.roleMappings.reconcile(org.id, SYSTEM);
    expect(res.skipped).toBe(1);
    const after = await Promise.all(owners.map(member));
    expect(after.filter((m) => m.role === 'owner')).toHaveLength(1);
    expect(after[2]!.role).toBe('member');
    expect((await f.daemon.store.listMembers(org.id, { roles: ['owner'], statuses: ['active'] })).total).toBe(1);
    const skippedEvent = (await f.daemon.store.listAudit(org.id, { limit: 10_000 })).find((e) => e.action === 'member.role_change_skipped');
    expect(skippedEvent?.reason).toContain('last active owner');
  });

  it('when the organization does not exist, then the CLI says so with its code', async () => {
    const r = await cli(f.env, f.cwd, 'role-mappings', 'reconcile', '--org', 'no-such-org');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('org.not_found');
  });
});
