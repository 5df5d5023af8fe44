import { describe, expect, it } from '@jest/globals';
import { directoryKey, higherRole, mergeAudit, planMerge, type MergeSide } from '../../src/domain/merge-plan.js';
import { applyProfileChange, foldedMember, memberFromMerge, serviceAccount } from '../../src/domain/member-rules.js';
import { aConnection, aMember, anInvitation, anOrg, aTeam } from '../../src/store/conformance/fixtures.js';
import { codeOfSync } from '../support/services.js';

function side(overrides: Partial<MergeSide> = {}): MergeSide {
  return { org: anOrg(), members: [], teams: [], invitations: [], links: [], scimTokens: [], scimClients: [], adminKeys: [], connections: [], ...overrides };
}
const counter = () => {
  let n = 0;
  return () => `id-${++n}`;
};

describe('the merge plan', () => {
  it('when a userName is taken in the target by someone who shares nothing, or an email is outside its domains, then the plan is blocked and says why', () => {
    const target = side({ org: anOrg({ settings: { ...anOrg().settings, allowedDomains: ['acme.test'] } }) });
    target.members = [aMember(target.org.id, { userName: 'jdoe', emails: [{ value: 'j.doe@acme.test' }] })];
    const source = side();
    source.members = [aMember(source.org.id, { userName: 'JDOE', emails: [{ value: 'john@acme.test' }] }), aMember(source.org.id, { userName: 'x@elsewhere.test' })];
    const plan = planMerge(source, target, counter());
    expect(plan.blockers).toHaveLength(2);
    expect(plan.blockers[0]).toContain('userName JDOE');
    expect(plan.blockers[1]).toContain('x@elsewhere.test is outside the allowed domains');
  });

  it('when two source people share one target identity, then only the first gets it and each fold keeps the higher role', () => {
    const target = side();
    const t = aMember(target.org.id, { role: 'admin', identities: [{ provider: 'google', subject: 'g1' }] });
    target.members = [t];
    const source = side();
    const a = aMember(source.org.id, { role: 'owner', identities: [{ provider: 'google', subject: 'g1' }, { provider: 'github', subject: 'h1' }] });
    const b = aMember(source.org.id, { identities: [{ provider: 'github', subject: 'h1' }] });
    source.members = [a, b];
    const plan = planMerge(source, target, counter());
    expect(plan.members[0]).toMatchObject({ kind: 'fold', targetMemberId: t.id, matchedBy: 'identity', roleBefore: 'admin', role: 'owner', identitiesAdded: [{ provider: 'github', subject: 'h1' }] });
    expect(plan.members[1]).toMatchObject({ kind: 'copy', newMemberId: 'id-1', identities: [] });
    expect(higherRole('member', 'admin')).toBe('admin');
  });

  it('when directories are compared, then case and the provider decide, and a refused connection maps its people and links to the target one', () => {
    expect(directoryKey(aConnection('o', { settings: { domain: 'Acme.test' } }))).toBe(directoryKey(aConnection('o', { settings: { domain: 'acme.TEST' } })));
    expect(directoryKey(aConnection('o', { settings: { customer: 'C1' } }))).not.toBe(directoryKey(aConnection('o', { settings: { domain: 'c1' } })));
    expect(directoryKey(aConnection('o', { provider: 'github', settings: { org: 'acme' } }))).not.toBe(directoryKey(aConnection('o', { settings: { domain: 'acme' } })));
    const target = side();
    const tc = aConnection(target.org.id, { provider: 'microsoft', settings: { tenantId: 'T' } });
    target.connections = [tc];
    const source = side();
    const sc = aConnection(source.org.id, { provider: 'microsoft', settings: { tenantId: 't' } });
    source.connections = [sc];
    source.members = [aMember(source.org.id, { managedBy: { kind: 'directory', connectionId: sc.id } }), aMember(source.org.id, { managedBy: { kind: 'scim', tokenId: 'tok' } })];
    const team = aTeam(source.org.id);
    source.teams = [{ team, memberIds: source.members.map((m) => m.id) }];
    source.invitations = [anInvitation(source.org.id, { teamIds: [team.id] })];
    const plan = planMerge(source, target, counter());
    expect(plan.connections).toEqual([expect.objectContaining({ kind: 'refuse', clashesWith: tc.id })]);
    expect(plan.members.map((m) => (m.kind === 'copy' ? m.managedBy : null))).toEqual([{ kind: 'directory', connectionId: tc.id }, { kind: 'admin' }]);
    expect(plan.teams[0]).toMatchObject({ kind: 'create', memberIds: ['id-1', 'id-2'] });
    expect(plan.invitations[0]).toMatchObject({ kind: 'move', teamIds: [plan.teams[0]!.targetTeamId] });
    // What applying writes, in the order the steps run (teams exist before people join them).
    expect(mergeAudit(plan).filter((e) => e.orgId === target.org.id).map((e) => e.action)).toEqual(['team.created', 'member.created', 'member.created', 'team.members_added', 'invitation.created', 'org.merged']);
  });
});

describe('the member rules of a merge and of service accounts', () => {
  it('when a member is copied or folded, then status and extension data travel and a second fold is a no-op', () => {
    const org = anOrg();
    const src = aMember('s', { status: 'inactive', deactivation: { by: { kind: 'cli' }, reason: 'left', at: 'x' }, attributes: { title: 'CTO' } });
    const copy = memberFromMerge({ id: 'n', orgId: org.id, at: 'now' }, org, src, { role: 'admin', managedBy: { kind: 'admin' }, identities: [] });
    expect(copy).toMatchObject({ id: 'n', orgId: org.id, status: 'inactive', role: 'admin', attributes: { title: 'CTO' }, deactivation: { reason: 'left' } });
    const cur = aMember(org.id, { role: 'member' });
    const once = foldedMember(cur, 'admin', [{ provider: 'github', subject: 'h' }])!;
    expect(once).toMatchObject({ role: 'admin', identities: [{ provider: 'github', subject: 'h' }] });
    expect(foldedMember(once, 'member', [{ provider: 'github', subject: 'h' }])).toBeNull();
  });

  it('when a service account is made, then it has no email or identity, cannot be an owner and needs a plain name', () => {
    const sa = serviceAccount({ id: 's', orgId: 'o', at: 'now' }, { name: 'telegraf', role: 'member' });
    expect(sa).toMatchObject({ kind: 'service', userName: 'service:telegraf', emails: [], identities: [], managedBy: { kind: 'admin' } });
    expect(codeOfSync(() => serviceAccount({ id: 's', orgId: 'o', at: 'now' }, { name: 'root', role: 'owner' }))).toBe('request.invalid');
    expect(codeOfSync(() => serviceAccount({ id: 's', orgId: 'o', at: 'now' }, { name: 'a@b.test', role: 'member' }))).toBe('request.invalid');
    // Neither SCIM (adopting it by userName) nor a directory may change it; an admin may.
    const org = anOrg();
    const ctx = { org, actor: { kind: 'scim' as const }, writer: { kind: 'scim' as const }, reason: 'x', at: 'now' };
    expect(codeOfSync(() => applyProfileChange(sa, { adoptAs: { kind: 'scim' }, active: false }, ctx))).toBe('member.managed_elsewhere');
    expect(codeOfSync(() => applyProfileChange(sa, { active: false }, { ...ctx, writer: { kind: 'directory', connectionId: 'c' } }))).toBe('member.managed_elsewhere');
    expect(applyProfileChange(sa, { active: false }, { ...ctx, writer: { kind: 'admin' } })?.action).toBe('member.deactivated');
  });
});
