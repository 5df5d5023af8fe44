import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/domain/model.js';
import type { VerifiedIdentity } from '../../src/services/join/service.js';
import { code, adjustableClock, memoryMailer, memoryServices } from '../support/services.js';

const admin: Actor = { kind: 'admin', id: 'key-1', label: 'Grace Hopper' };


const tokenOf = (link: string) => link.slice(link.lastIndexOf('/') + 1);
const google = (email: string, subject = `sub-${email}`): VerifiedIdentity => ({ provider: 'google', subject, email, emailVerified: true });

describe('invitation service', () => {
  let env: ReturnType<typeof memoryServices>;
  let clock: ReturnType<typeof adjustableClock>;
  let mailer: ReturnType<typeof memoryMailer>;
  let orgId: string;
  beforeEach(async () => {
    clock = adjustableClock();
    mailer = memoryMailer();
    env = memoryServices({ clock, mailer });
    orgId = (await env.services.orgs.create({ name: 'Acme', settings: { pendingInviteCap: 3 } }, admin)).id;
  });
  afterEach(() => env.close());

  it('when a person is invited, then a 256-bit token link is mailed, only its hash is stored, and it expires after 72 hours', async () => {
    const r = await env.services.invitations.invite(orgId, { email: 'Ada@Example.com', givenName: 'Ada', role: 'admin' }, admin);
    expect(r.link).toMatch(/^https:\/\/idsync\.test\/join\/idsync_inv_[A-Za-z0-9_-]{43}$/);
    expect(r.mailed).toBe(true);
    expect(Date.parse(r.invitation.expiresAt) - Date.parse(r.invitation.createdAt)).toBe(72 * 3_600_000);
    expect(JSON.stringify(r.invitation)).not.toContain('tokenHash');
    const stored = await env.store.getInvitation(orgId, r.invitation.id);
    expect(stored?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(tokenOf(r.link));
    expect(mailer.sent).toHaveLength(1);
    expect(mailer.sent[0]).toMatchObject({ to: 'Ada@Example.com' });
    for (const body of [mailer.sent[0]!.text, mailer.sent[0]!.html]) {
      expect(body).toContain(r.link);
      expect(body).toContain('Acme');
      expect(body).toContain('Grace Hopper');
      expect(body).toContain('admin');
      expect(body).toContain('2026');
    }
    expect((await env.services.audit.list(orgId)).map((e) => e.action)).toContain('invitation.created');
  });

  it('when the org has 3 pending invitations, then a 4th is refused with invite.cap_reached, and an expired one does not count', async () => {
    for (const n of [1, 2, 3]) await env.services.invitations.invite(orgId, { email: `p${n}@example.com` }, admin);
    expect(await code(env.services.invitations.invite(orgId, { email: 'p4@example.com' }, admin))).toBe('invite.cap_reached');
    clock.advanceHours(73);
    expect(await code(env.services.invitations.invite(orgId, { email: 'p4@example.com' }, admin))).toBe('ok');
  });

  it('when the same email is invited twice or is already a member, then invite.duplicate and invite.already_member are returned', async () => {
    await env.services.invitations.invite(orgId, { email: 'dup@example.com' }, admin);
    expect(await code(env.services.invitations.invite(orgId, { email: 'DUP@example.com' }, admin))).toBe('invite.duplicate');
    await env.services.members.create(orgId, { email: 'member@example.com' }, admin);
    expect(await code(env.services.invitations.invite(orgId, { email: 'Member@Example.com' }, admin))).toBe('invite.already_member');
  });

  it('when the org restricts domains, then an invitation to another domain is refused', async () => {
    const strict = await env.services.orgs.create({ name: 'Strict', settings: { allowedDomains: ['corp.example'] } }, admin);
    expect(await code(env.services.invitations.invite(strict.id, { email: 'a@gmail.com' }, admin))).toBe('member.domain_not_allowed');
    expect(await code(env.services.invitations.invite(strict.id, { email: 'a@corp.example' }, admin))).toBe('ok');
  });

  it('when 72 hours pass, then list shows expired, accepting fails with invite.expired, and the sweep stores expired with an audit event', async () => {
    const r = await env.services.invitations.invite(orgId, { email: 'late@example.com' }, admin);
    clock.advanceHours(72);
    expect((await env.services.invitations.list(orgId)).items[0]?.status).toBe('expired');
    expect((await env.services.invitations.list(orgId, { status: 'expired' })).total).toBe(1);
    expect((await env.services.invitations.list(orgId, { status: 'pending' })).total).toBe(0);
    expect(await code(env.services.invitations.accept(tokenOf(r.link), google('late@example.com')))).toBe('invite.expired');
    expect(await env.services.invitations.expireDue()).toBe(1);
    expect((await env.store.getInvitation(orgId, r.invitation.id))?.status).toBe('expired');
    expect((await env.services.audit.list(orgId)).map((e) => e.action)).toContain('invitation.expired');
    expect(await env.services.invitations.expireDue()).toBe(0);
  });

  it('when an invitation is resent, then the old link stops working, the new one works, the expiry restarts and the mail goes again', async () => {
    const first = await env.services.invitations.invite(orgId, { email: 'again@example.com' }, admin);
    clock.advanceHours(48);
    const second = await env.services.invitations.resend(orgId, first.invitation.id, admin);
    expect(second.link).not.toBe(first.link);
    expect(second.invitation.sendCount).toBe(2);
    expect(Date.parse(second.invitation.expiresAt)).toBeGreaterThan(Date.parse(first.invitation.expiresAt) + 47 * 3_600_000);
    expect(mailer.sent.map((m) => m.text.includes(second.link))).toEqual([false, true]);
    expect(await code(env.services.invitations.accept(tokenOf(first.link), google('again@example.com')))).toBe('invite.not_found');
    clock.advanceHours(48);
    expect(await code(env.services.invitations.accept(tokenOf(second.link), google('again@example.com')))).toBe('ok');
    expect((await env.services.audit.list(orgId)).map((e) => e.action)).toEqual(expect.arrayContaining(['invitation.resent', 'invitation.accepted']));
  });

  it('when an invitation is revoked, then accepting fails with invite.revoked and it stays listed as revoked', async () => {
    const r = await env.services.invitations.invite(orgId, { email: 'gone@example.com' }, admin);
    const revoked = await env.services.invitations.revoke(orgId, r.invitation.id, admin, 'hired elsewhere');
    expect(revoked).toMatchObject({ status: 'revoked', endReason: 'hired elsewhere' });
    expect(await code(env.services.invitations.accept(tokenOf(r.link), google('gone@example.com')))).toBe('invite.revoked');
    expect(await code(env.services.invitations.resend(orgId, r.invitation.id, admin))).toBe('invite.revoked');
    expect((await env.services.invitations.list(orgId, { status: 'revoked' })).items.map((i) => i.id)).toEqual([r.invitation.id]);
    expect((await env.services.audit.list(orgId)).map((e) => e.action)).toContain('invitation.revoked');
  });

  it('when the signed-in email differs or is unverified, then accepting fails with invite.wrong_email', async () => {
    const r = await env.services.invitations.invite(orgId, { email: 'right@example.com' }, admin);
    expect(await code(env.services.invitations.accept(tokenOf(r.link), google('wrong@example.com')))).toBe('invite.wrong_email');
    expect(await code(env.services.invitations.accept(tokenOf(r.link), { ...google('right@example.com'), emailVerified: false }))).toBe('invite.wrong_email');
    expect(await code(env.services.invitations.accept('idsync_inv_nonsense', google('right@example.com')))).toBe('invite.not_found');
  });

  it('when an invitation is accepted, then a member with its role, teams and identity exists, and a second accept is invite.used', async () => {
    const team = await env.services.teams.create(orgId, { displayName: 'Ops' }, admin);
    const r = await env.services.invitations.invite(orgId, { email: 'new@example.com', givenName: 'New', familyName: 'Person', role: 'admin', teamIds: [team.id] }, admin);
    const m = await env.services.invitations.accept(tokenOf(r.link), google('NEW@example.com', 'g-123'));
    expect(m).toMatchObject({ userName: 'new@example.com', role: 'admin', status: 'active', managedBy: { kind: 'invite' }, name: { givenName: 'New', familyName: 'Person' } });
    expect(m.identities).toEqual([{ provider: 'google', subject: 'g-123', email: 'NEW@example.com' }]);
    expect(await env.store.listMemberTeams(orgId, m.id)).toEqual([team.id]);
    expect(await env.store.findMemberByIdentity(orgId, 'google', 'g-123')).toMatchObject({ id: m.id });
    expect(await env.services.invitations.get(orgId, r.invitation.id)).toMatchObject({ status: 'accepted', acceptedMemberId: m.id });
    const events = await env.services.audit.list(orgId);
    const accepted = events.find((e) => e.action === 'invitation.accepted');
    expect(accepted).toMatchObject({ actor: { kind: 'invite', id: 'google:g-123' }, target: { type: 'invitation', id: r.invitation.id } });
    expect((await env.store.listOutbox(orgId)).map((o) => o.type)).toContain('invitation.accepted');
    expect(await code(env.services.invitations.accept(tokenOf(r.link), google('new@example.com', 'g-123')))).toBe('invite.used');
  });

  it('when the invited person became a member meanwhile, then accepting links the identity to that member', async () => {
    const r = await env.services.invitations.invite(orgId, { email: 'meanwhile@example.com' }, admin);
    const existing = await env.services.members.create(orgId, { email: 'meanwhile@example.com' }, admin);
    const m = await env.services.invitations.accept(tokenOf(r.link), google('meanwhile@example.com', 'g-9'));
    expect(m.id).toBe(existing.id);
    expect(m.identities).toEqual([{ provider: 'google', subject: 'g-9', email: 'meanwhile@example.com' }]);
  });

  it('when two accepts race, then exactly one wins and one member exists', async () => {
    const r = await env.services.invitations.invite(orgId, { email: 'race@example.com' }, admin);
    const results = await Promise.all([1, 2, 3].map((n) => code(env.services.invitations.accept(tokenOf(r.link), google('race@example.com', `s-${n}`)))));
    expect(results.filter((c) => c === 'ok')).toHaveLength(1);
    expect(results.filter((c) => c !== 'ok').every((c) => c === 'invite.used')).toBe(true);
    expect((await env.store.findMembersByEmail(orgId, 'race@example.com')).length).toBe(1);
  });

  it('when a member is deactivated or provisioned inactive, then their pending invitation is withdrawn', async () => {
    const m = await env.services.members.create(orgId, { email: 'leaver@example.com' }, admin);
    // An invitation that predates the member (e.g. sent before SCIM created them).
    const inv = await env.services.invitations.invite(orgId, { email: 'other@example.com' }, admin);
    await env.store.updateInvitation(orgId, inv.invitation.id, (cur) => ({ next: { ...cur, email: 'leaver@example.com' }, audit: { orgId, actor: admin, action: 'test.rewrite', target: { type: 'invitation', id: cur.id } } }));
    await env.services.members.deactivate(orgId, m.id, admin, 'left');
    expect(await env.services.invitations.get(orgId, inv.invitation.id)).toMatchObject({ status: 'revoked', endReason: 'member deactivated' });
    expect(await code(env.services.invitations.accept(tokenOf(inv.link), google('leaver@example.com')))).toBe('invite.revoked');

    const s = await env.services.provisioning.create(orgId, { userName: 'scim@example.com', name: {}, emails: [{ value: 'scim@example.com' }], attributes: {} }, true, admin, { kind: 'scim' });
    const inv2 = await env.services.invitations.invite(orgId, { email: 'x@example.com' }, admin);
    await env.store.updateInvitation(orgId, inv2.invitation.id, (cur) => ({ next: { ...cur, email: 'scim@example.com' }, audit: { orgId, actor: admin, action: 'test.rewrite', target: { type: 'invitation', id: cur.id } } }));
    await env.services.provisioning.update(orgId, s.id, { active: false }, admin, { kind: 'scim' });
    expect((await env.services.invitations.get(orgId, inv2.invitation.id)).status).toBe('revoked');
  });

  it('when the link is copied, then it is the emailed link, it accepts, and rotating it retires the emailed one', async () => {
    const r = await env.services.invitations.invite(orgId, { email: 'copy@example.com' }, admin);
    const copied = await env.services.invitations.copyLink(orgId, r.invitation.id, admin);
    expect(copied.link).toBe(r.link);
    const rotated = await env.services.invitations.copyLink(orgId, r.invitation.id, admin, { rotate: true });
    expect(rotated.link).not.toBe(r.link);
    expect(await code(env.services.invitations.accept(tokenOf(r.link), google('copy@example.com')))).toBe('invite.not_found');
    expect((await env.services.invitations.copyLink(orgId, r.invitation.id, admin)).link).toBe(rotated.link);
    expect(await code(env.services.invitations.accept(tokenOf(rotated.link), google('copy@example.com')))).toBe('ok');
    expect(await code(env.services.invitations.copyLink(orgId, r.invitation.id, admin))).toBe('invite.used');
  });
});
