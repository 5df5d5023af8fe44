import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { isIdsyncError } from '../../src/domain/errors.js';
import type { Actor } from '../../src/domain/model.js';
import { verifyChain } from '../../src/ports/audit-chain.js';
import { code, memoryServices } from '../support/services.js';

const admin: Actor = { kind: 'admin', id: 'key-1' };


describe('member service (the one write path)', () => {
  let env: ReturnType<typeof memoryServices>;
  let orgId: string;
  beforeEach(async () => {
    env = memoryServices();
    orgId = (await env.services.orgs.create({ name: 'Acme' }, admin)).id;
  });
  afterEach(() => env.close());

  it('when an admin adds a member, then it is active, admin-managed, named by email and audited', async () => {
    const m = await env.services.members.create(orgId, { email: 'Ada@Example.com', givenName: 'Ada', familyName: 'Lovelace', role: 'admin' }, admin);
    expect(m).toMatchObject({ userName: 'Ada@Example.com', status: 'active', role: 'admin', managedBy: { kind: 'admin' }, name: { givenName: 'Ada', familyName: 'Lovelace' } });
    const events = await env.services.audit.list(orgId);
    expect(events.map((e) => e.action)).toEqual(['org.created', 'member.created']);
    expect(events[1]).toMatchObject({ actor: admin, target: { type: 'member', id: m.id } });
    expect((await env.store.listOutbox(orgId)).map((o) => o.type)).toEqual(['org.created', 'member.created']);
  });

  it('when input is invalid, then every problem is reported with its field', async () => {
    try {
      await env.services.members.create(orgId, { email: 'not-an-email', role: 'emperor' as 'owner' }, admin);
      throw new Error('expected a failure');
    } catch (err) {
      expect(isIdsyncError(err, 'request.invalid')).toBe(true);
      const problems = (err as { details: { problems: { field: string }[] } }).details.problems.map((p) => p.field).sort();
      expect(problems).toEqual(['email', 'role']);
    }
  });

  it('when the org restricts domains, then other domains are refused', async () => {
    const org = await env.services.orgs.create({ name: 'Strict', settings: { allowedDomains: ['Corp.Example'] } }, admin);
    expect(await code(env.services.members.create(org.id, { email: 'a@corp.example' }, admin))).toBe('ok');
    expect(await code(env.services.members.create(org.id, { email: 'a@gmail.com' }, admin))).toBe('member.domain_not_allowed');
  });

  it('when a member is deactivated and activated, then the reason is kept, repeats are no-ops, and each change is one event', async () => {
    const m = await env.services.members.create(orgId, { email: 'b@example.com' }, admin);
    const d = await env.services.members.deactivate(orgId, m.id, admin, 'left the company');
    expect(d.status).toBe('inactive');
    expect(d.deactivation).toMatchObject({ reason: 'left the company', by: admin });
    await env.services.members.deactivate(orgId, m.id, admin, 'again');
    const a = await env.services.members.activate(orgId, m.id, admin);
    expect(a.status).toBe('active');
    expect(a.deactivation).toBeUndefined();
    const actions = (await env.services.audit.list(orgId)).map((e) => e.action);
    expect(actions).toEqual(['org.created', 'member.created', 'member.deactivated', 'member.activated']);
  });

  it('when a member is removed, then it is never reactivated and its userName can be used by a new member', async () => {
    const m = await env.services.members.create(orgId, { email: 'c@example.com' }, admin);
    const team = await env.services.teams.create(orgId, { displayName: 'Ops' }, admin);
    await env.services.teams.addMembers(orgId, team.id, [m.id], admin);
    const r = await env.services.members.remove(orgId, m.id, admin, 'offboarded');
    expect(r.status).toBe('removed');
    expect(await env.store.listMemberTeams(orgId, m.id)).toEqual([]);
    expect(await code(env.services.members.activate(orgId, m.id, admin))).toBe('member.removed');
    expect(await code(env.services.members.deactivate(orgId, m.id, admin, 'x'))).toBe('member.removed');
    expect(await code(env.services.members.changeRole(orgId, m.id, 'admin', admin))).toBe('member.removed');
    const again = await env.services.members.create(orgId, { email: 'C@example.com' }, admin);
    expect(again.id).not.toBe(m.id);
  });

  it('when the last active owner is removed, deactivated or demoted, then it is refused; a second owner unlocks it', async () => {
    const o = await env.services.members.create(orgId, { email: 'owner@example.com', role: 'owner' }, admin);
    expect(await code(env.services.members.remove(orgId, o.id, admin, 'x'))).toBe('member.last_owner');
    expect(await code(env.services.members.deactivate(orgId, o.id, admin, 'x'))).toBe('member.last_owner');
    expect(await code(env.services.members.changeRole(orgId, o.id, 'member', admin))).toBe('member.last_owner');
    const o2 = await env.services.members.create(orgId, { email: 'owner2@example.com', role: 'owner' }, admin);
    expect(await code(env.services.members.deactivate(orgId, o.id, admin, 'x'))).toBe('ok');
    expect(await code(env.services.members.remove(orgId, o2.id, admin, 'x'))).toBe('member.last_owner');
  });

  it('when many members are removed at once, then the count is returned and each skipped one says why', async () => {
    const owner = await env.services.members.create(orgId, { email: 'o@example.com', role: 'owner' }, admin);
    const ms = await Promise.all(['a', 'b', 'c'].map((n) => env.services.members.create(orgId, { email: `${n}@example.com` }, admin)));
    await env.services.members.remove(orgId, ms[2]!.id, admin, 'earlier');
    const r = await env.services.members.removeMany(orgId, [ms[0]!.id, ms[1]!.id, ms[2]!.id, owner.id, 'nope', ms[0]!.id], admin, 'cleanup');
    expect(r.removed).toBe(2);
    expect(r.removedIds).toEqual([ms[0]!.id, ms[1]!.id]);
    expect(r.skipped.map((s) => [s.id, s.code])).toEqual([
      [ms[2]!.id, 'member.removed'],
      [owner.id, 'member.last_owner'],
      ['nope', 'member.not_found'],
    ]);
  });

  it('when SCIM and a directory both write, then each changes only what it manages; admins may change either', async () => {
    const scimMember = await env.services.members.create(orgId, { email: 's@example.com' }, { kind: 'scim', id: 'tok' }, { kind: 'scim', tokenId: 'tok' });
    const dirMember = await env.services.members.create(orgId, { email: 'd@example.com' }, { kind: 'directory', id: 'c1' }, { kind: 'directory', connectionId: 'c1' });
    expect(await code(env.services.members.deactivate(orgId, scimMember.id, { kind: 'directory' }, 'gone', { kind: 'directory', connectionId: 'c1' }))).toBe(
      'member.managed_elsewhere',
    );
    expect(await code(env.services.members.deactivate(orgId, dirMember.id, { kind: 'scim' }, 'gone', { kind: 'scim' }))).toBe('member.managed_elsewhere');
    expect(await code(env.services.members.deactivate(orgId, dirMember.id, { kind: 'directory' }, 'gone', { kind: 'directory', connectionId: 'c2' }))).toBe(
      'member.managed_elsewhere',
    );
    expect(await code(env.services.members.deactivate(orgId, dirMember.id, { kind: 'directory' }, 'gone', { kind: 'directory', connectionId: 'c1' }))).toBe('ok');
    expect(await code(env.services.members.deactivate(orgId, scimMember.id, admin, 'admin override'))).toBe('ok');
    const last = (await env.services.audit.list(orgId)).at(-1);
    expect(last).toMatchObject({ action: 'member.deactivated', actor: admin, reason: 'admin override', before: { managedBy: { kind: 'scim' } } });
  });

  it('when the audit trail is verified, then an intact chain passes and a tampered event is located', async () => {
    const m = await env.services.members.create(orgId, { email: 'e@example.com' }, admin);
    await env.services.members.changeRole(orgId, m.id, 'admin', admin);
    expect(await env.services.audit.verify(orgId)).toMatchObject({ ok: true, events: 3 });
    const events = await env.services.audit.list(orgId);
    const tampered = events.map((e) => (e.seq === 2 ? { ...e, reason: 'edited' } : e));
    expect(verifyChain(tampered)).toEqual({ ok: false, break: { seq: 2, reason: 'hash_mismatch' } });
  });

  it('when SCIM tokens and admin keys are minted, then the secret authenticates until revoked and is never stored', async () => {
    const { token, record } = await env.services.credentials.createScimToken(orgId, admin, 'okta');
    expect(token).toMatch(/^idsync_scim_[A-Za-z0-9_-]{43}$/);
    expect(JSON.stringify(await env.store.listScimTokens(orgId))).not.toContain(token);
    expect((await env.services.credentials.authenticateScim(token)).orgId).toBe(orgId);
    await env.services.credentials.createScimToken(orgId, admin);
    expect(await code(env.services.credentials.createScimToken(orgId, admin))).toBe('token.limit_reached');
    await env.services.credentials.revokeScimToken(orgId, record.id, admin);
    expect(await code(env.services.credentials.authenticateScim(token))).toBe('auth.unauthorized');
    expect(await code(env.services.credentials.authenticateScim('idsync_scim_guess'))).toBe('auth.unauthorized');

    const { key } = await env.services.credentials.createAdminKey(admin);
    expect((await env.services.credentials.authenticateAdmin(key)).orgId).toBeUndefined();
    const scoped = await env.services.credentials.createAdminKey(admin, { orgId });
    expect((await env.services.credentials.authenticateAdmin(scoped.key)).orgId).toBe(orgId);
    await env.services.credentials.revokeAdminKey(scoped.record.id, admin);
    expect(await code(env.services.credentials.authenticateAdmin(scoped.key))).toBe('auth.unauthorized');
    expect(await env.services.audit.verify('provider')).toMatchObject({ ok: true, events: 1 });
  });
});
