import { describe, expect, it } from '@jest/globals';
import { applyProfileChange, assertDomainsAllowed, linkDomains, memberCopy, memberFromAdmin, memberFromJoin, memberFromProfile, orgDomains, withIdentity, withRole } from '../../src/domain/member-rules.js';
import { DEFAULT_ORG_SETTINGS, type Actor, type InviteLink, type Member, type Organization } from '../../src/domain/model.js';
import { codeOfSync } from '../support/services.js';

const AT = '2026-03-01T00:00:00.000Z';
const scim: Actor = { kind: 'scim', id: 'tok-1' };
const birth = { id: 'm-new', orgId: 'o1', at: AT };

function org(allowedDomains: string[] = []): Organization {
  return { id: 'o1', name: 'Acme', settings: { ...DEFAULT_ORG_SETTINGS, allowedDomains }, createdAt: AT, updatedAt: AT, version: 1 };
}

function member(extra: Partial<Member> = {}): Member {
  return {
    id: 'm1',
    orgId: 'o1',
    userName: 'ada@acme.example',
    name: { givenName: 'Ada' },
    displayName: 'Ada L',
    externalId: 'ext-1',
    emails: [{ value: 'ada@acme.example', primary: true }],
    role: 'member',
    status: 'active',
    managedBy: { kind: 'scim' },
    identities: [],
    attributes: {},
    createdAt: AT,
    updatedAt: AT,
    version: 3,
    ...extra,
  };
}

const codeOf = codeOfSync;

describe('allowed domains (one check for every writer)', () => {
  it('when the list is empty, then any address passes', () => {
    expect(codeOf(() => assertDomainsAllowed(orgDomains(org()), ['x@anywhere.example']))).toBe('ok');
  });

  it('when an address is outside the org list, then member.domain_not_allowed, compared case-insensitively', () => {
    const rule = orgDomains(org(['acme.example']));
    expect(codeOf(() => assertDomainsAllowed(rule, ['Ada@ACME.example']))).toBe('ok');
    expect(codeOf(() => assertDomainsAllowed(rule, ['ada@acme.example', 'ada@other.example']))).toBe('member.domain_not_allowed');
  });

  it("when an address is outside a link's list, then link.domain_not_allowed", () => {
    const link = { allowedDomains: ['acme.example'] } as unknown as InviteLink;
    expect(codeOf(() => assertDomainsAllowed(linkDomains(link), ['bob@other.example']))).toBe('link.domain_not_allowed');
  });
});

describe('new members', () => {
  it('when an admin adds by email, then the member is active, named by the email and managed as told', () => {
    const m = memberFromAdmin(birth, org(), { email: 'Ada@Acme.example', givenName: 'Ada', role: 'admin' }, { kind: 'admin' });
    expect(m).toEqual({
      id: 'm-new',
      orgId: 'o1',
      userName: 'Ada@Acme.example',
      name: { givenName: 'Ada' },
      emails: [{ value: 'Ada@Acme.example', type: 'work', primary: true }],
      role: 'admin',
      status: 'active',
      managedBy: { kind: 'admin' },
      identities: [],
      attributes: {},
      createdAt: AT,
      updatedAt: AT,
      version: 1,
    });
  });

  it('when a profile is provisioned inactive, then it carries the deactivation with actor and reason', () => {
    const m = memberFromProfile(birth, org(), { userName: 'bob', name: {}, emails: [], attributes: {} }, { active: false, actor: scim, writer: { kind: 'scim' }, reason: 'provisioned inactive' });
    expect(m).toMatchObject({ status: 'inactive', deactivation: { by: scim, reason: 'provisioned inactive', at: AT }, managedBy: { kind: 'scim' } });
  });

  it('when a profile has no userName or a refused domain, then it is refused', () => {
    const p = (userName: string, email: string) => ({ userName, name: {}, emails: [{ value: email }], attributes: {} });
    const opts = { active: true, actor: scim, writer: { kind: 'scim' as const }, reason: 'x' };
    expect(codeOf(() => memberFromProfile(birth, org(), p(' ', 'a@acme.example'), opts))).toBe('request.invalid');
    expect(codeOf(() => memberFromProfile(birth, org(['acme.example']), p('a', 'a@evil.example'), opts))).toBe('member.domain_not_allowed');
  });

  it('when someone joins, then the member is invite-managed with the identity, and a different identity email is invite.wrong_email', () => {
    const identity = { provider: 'google' as const, subject: 'g-1', email: 'ada@acme.example' };
    expect(memberFromJoin(birth, org(), { email: 'ADA@acme.example', role: 'member', identity })).toMatchObject({ managedBy: { kind: 'invite' }, identities: [identity], userName: 'ADA@acme.example' });
    expect(codeOf(() => memberFromJoin(birth, org(), { email: 'bob@acme.example', role: 'member', identity }))).toBe('invite.wrong_email');
    expect(codeOf(() => memberFromJoin(birth, org(['other.example']), { email: 'ada@acme.example', role: 'member', identity }))).toBe('member.domain_not_allowed');
  });

  it('when a member is copied to another org, then profile and free identities go along, admin-managed, without extension data', () => {
    const source = member({ identities: [{ provider: 'google', subject: 'g-1' }], attributes: { title: 'CTO' }, role: 'owner' });
    const copy = memberCopy(birth, org(), source, 'member', source.identities);
    expect(copy).toMatchObject({ id: 'm-new', userName: source.userName, displayName: 'Ada L', role: 'member', managedBy: { kind: 'admin' }, identities: [{ provider: 'google', subject: 'g-1' }], attributes: {} });
    expect(copy.externalId).toBeUndefined();
    expect(codeOf(() => memberCopy(birth, org(['other.example']), source, 'member', []))).toBe('member.domain_not_allowed');
  });
});

describe('profile changes', () => {
  const ctx = { org: org(), actor: scim, writer: { kind: 'scim' as const }, reason: 'deactivated by SCIM provisioning', at: AT };

  it('when a PUT carries displayName and externalId as undefined, then they are cleared; a key left out is kept', () => {
    const put = { userName: 'ada@acme.example', name: {}, emails: [{ value: 'ada@acme.example', primary: true }], attributes: {}, displayName: undefined, externalId: undefined };
    const r = applyProfileChange(member(), { profile: put }, ctx);
    expect(r?.action).toBe('member.updated');
    expect(r?.next.displayName).toBeUndefined();
    expect(r?.next.externalId).toBeUndefined();
    expect(applyProfileChange(member(), { profile: { name: {} } }, ctx)?.next).toMatchObject({ displayName: 'Ada L', externalId: 'ext-1', name: {} });
  });

  it('when nothing differs, then there is nothing to write', () => {
    expect(applyProfileChange(member(), { active: true }, ctx)).toBeNull();
  });

  it('when active turns false, then the change is a deactivation with the reason', () => {
    const r = applyProfileChange(member(), { active: false }, ctx);
    expect(r).toMatchObject({ action: 'member.deactivated', next: { status: 'inactive', deactivation: { by: scim, reason: 'deactivated by SCIM provisioning', at: AT } } });
    const back = applyProfileChange(r!.next, { active: true }, ctx);
    expect(back?.action).toBe('member.activated');
    expect(back?.next.deactivation).toBeUndefined();
  });

  it('when SCIM adopts an admin-created member, then it is adopted, but never the active owner', () => {
    const adopted = applyProfileChange(member({ managedBy: { kind: 'admin' } }), { adoptAs: { kind: 'scim', tokenId: 't' } }, ctx);
    expect(adopted).toMatchObject({ action: 'member.adopted', next: { managedBy: { kind: 'scim', tokenId: 't' } } });
    expect(codeOf(() => applyProfileChange(member({ role: 'owner', managedBy: { kind: 'admin' } }), { adoptAs: { kind: 'scim' } }, ctx))).toBe('member.managed_elsewhere');
  });

  it('when a directory-managed member gets a SCIM change, or a removed one any change, then it is refused', () => {
    expect(codeOf(() => applyProfileChange(member({ managedBy: { kind: 'directory', connectionId: 'c1' } }), { active: false }, ctx))).toBe('member.managed_elsewhere');
    expect(codeOf(() => applyProfileChange(member({ status: 'removed' }), { active: true }, ctx))).toBe('member.removed');
  });
});

describe('role changes', () => {
  it('when the role is new, then it changes; the same role is nothing to write; another writer’s member is refused', () => {
    expect(withRole(member(), 'admin', { kind: 'admin' })?.role).toBe('admin');
    expect(withRole(member(), 'member', { kind: 'admin' })).toBeNull();
    expect(codeOf(() => withRole(member(), 'admin', { kind: 'directory', connectionId: 'c1' }))).toBe('member.managed_elsewhere');
  });
});

describe('identity links (one behaviour: append per subject)', () => {
  const directory = { kind: 'directory' as const, connectionId: 'c1' };

  it('when a second account at the same provider is linked, then both are kept, the first (the directory link) first', () => {
    const m = member({ managedBy: directory, identities: [{ provider: 'google', subject: 'dir-1' }] });
    const next = withIdentity(m, { provider: 'google', subject: 'consumer-2', email: 'ada@acme.example' }, { kind: 'invite' });
    expect(next?.identities).toEqual([
      { provider: 'google', subject: 'dir-1' },
      { provider: 'google', subject: 'consumer-2', email: 'ada@acme.example' },
    ]);
  });

  it('when the same subject is linked again, then nothing changes unless its email did', () => {
    const m = member({ identities: [{ provider: 'github', subject: '42', email: 'old@acme.example' }] });
    expect(withIdentity(m, { provider: 'github', subject: '42', email: 'old@acme.example' }, { kind: 'scim' })).toBeNull();
    expect(withIdentity(m, { provider: 'github', subject: '42' }, { kind: 'scim' })).toBeNull();
    expect(withIdentity(m, { provider: 'github', subject: '42', email: 'new@acme.example' }, { kind: 'scim' })?.identities).toEqual([{ provider: 'github', subject: '42', email: 'new@acme.example' }]);
  });

  it('when a writer links to a member another writer manages, or to a removed one, then it is refused', () => {
    expect(codeOf(() => withIdentity(member(), { provider: 'google', subject: 'x' }, directory))).toBe('member.managed_elsewhere');
    expect(codeOf(() => withIdentity(member({ status: 'removed' }), { provider: 'google', subject: 'x' }, { kind: 'invite' }))).toBe('member.removed');
  });
});
