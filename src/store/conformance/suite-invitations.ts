import { describe, expect, it } from '@jest/globals';
import { IdsyncError } from '../../domain/errors.js';
import type { Invitation, InviteLink, Member } from '../../domain/model.js';
import { aMember, anInvitation, anInviteLink, draft, hoursFrom, NOW } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const CAP = { pendingCap: 50, now: NOW };

const resend = (hash: string) => (cur: Invitation) => ({
  next: { ...cur, tokenHash: hash, sendCount: cur.sendCount + 1, lastSentAt: NOW },
  audit: draft(cur.orgId, 'invite.resent', cur.id),
});

/** An accept as the join flow does it: only a pending invitation can be accepted. */
const accept = (memberId: string) => (cur: Invitation) => {
  if (cur.status !== 'pending') throw new IdsyncError('invite.not_found', `invitation ${cur.id} is ${cur.status}`);
  return { next: { ...cur, status: 'accepted' as const, acceptedAt: NOW, acceptedMemberId: memberId }, audit: draft(cur.orgId, 'invite.accepted', cur.id) };
};

const revoke = (cur: Invitation) => ({
  next: { ...cur, status: 'revoked' as const, revokedAt: NOW, endReason: 'revoked by an admin' },
  audit: draft(cur.orgId, 'invite.revoked', cur.id),
});

/** One use of an open link; refused once the link has reached its maximum. */
const useLink = (cur: InviteLink) => {
  if (cur.maxUses !== undefined && cur.uses >= cur.maxUses) throw new IdsyncError('link.not_found', `invite link ${cur.id} is used up`);
  return { next: { ...cur, uses: cur.uses + 1 }, audit: draft(cur.orgId, 'invite_link.used', cur.id) };
};

const ids = (xs: { id: string }[]) => xs.map((x) => x.id);

export function invitationConformance(h: StoreHarness): void {
  describe('invitations', () => {
    it('when invitations are created, then they read back and list newest first, filtered by stored status and paged', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const created: Invitation[] = [];
      for (let i = 0; i < 5; i++) created.push(await h.store.createInvitation(anInvitation(org.id), draft(org.id, 'invite.created', `i${i}`), CAP));
      await h.store.updateInvitation(org.id, created[1]!.id, revoke);
      await h.store.updateInvitation(org.id, created[3]!.id, accept('m-1'));

      expect(await h.store.getInvitation(org.id, created[0]!.id)).toEqual(created[0]);
      expect(await h.store.getInvitation(other.id, created[0]!.id)).toBeUndefined();
      expect(await h.store.getInvitation(org.id, 'missing')).toBeUndefined();
      const newestFirst = ids(created).reverse();
      expect(ids((await h.store.listInvitations(org.id)).items)).toEqual(newestFirst);
      expect(await h.store.listInvitations(org.id, { offset: 1, limit: 2 })).toMatchObject({ total: 5 });
      expect(ids((await h.store.listInvitations(org.id, { offset: 1, limit: 2 })).items)).toEqual(newestFirst.slice(1, 3));
      const pending = await h.store.listInvitations(org.id, { statuses: ['pending'] });
      expect(pending.total).toBe(3);
      expect(ids(pending.items)).toEqual([created[4]!.id, created[2]!.id, created[0]!.id]);
      const ended = await h.store.listInvitations(org.id, { statuses: ['revoked', 'accepted'], offset: 1, limit: 5 });
      expect(ended.total).toBe(2);
      expect(ids(ended.items)).toEqual([created[1]!.id]);
      expect(await h.store.listInvitations(org.id, { statuses: ['expired'] })).toEqual({ items: [], total: 0 });
      expect(await h.store.listInvitations(other.id)).toEqual({ items: [], total: 0 });
      expect(await codeOf(h.store.createInvitation(anInvitation('no-such-org'), draft('no-such-org', 'invite.created', 'x'), CAP))).toBe('org.not_found');
    });

    it('when 20 creates of distinct emails race against a cap of 5, then exactly 5 succeed and the refused ones leave no trace', async () => {
      const org = await h.newOrg();
      const invitations = Array.from({ length: 20 }, () => anInvitation(org.id));
      let results: string[] = [];
      const appended = await h.auditDelta(org.id, async () => {
        results = await Promise.all(invitations.map((inv) => codeOf(h.store.createInvitation(inv, draft(org.id, 'invite.created', inv.id), { pendingCap: 5, now: NOW }))));
      });
      expect(results.filter((r) => r === 'ok')).toHaveLength(5);
      expect(results.filter((r) => r === 'invite.cap_reached')).toHaveLength(15);
      expect(appended).toBe(5);
      expect((await h.store.listInvitations(org.id)).total).toBe(5);
      const refused = invitations.filter((_, i) => results[i] !== 'ok');
      for (const inv of refused) expect(await h.store.findInvitationByTokenHash(inv.tokenHash)).toBeUndefined();
    });

    it('when pending invitations have expired by time, then they do not count toward the cap', async () => {
      const org = await h.newOrg();
      const cap = { pendingCap: 2, now: NOW };
      await h.store.createInvitation(anInvitation(org.id, { expiresAt: hoursFrom(NOW, -1) }), draft(org.id, 'invite.created', 'old-1'), cap);
      // Expiring exactly now is expired: only an invitation that is unexpired at `now` counts.
      await h.store.createInvitation(anInvitation(org.id, { expiresAt: NOW }), draft(org.id, 'invite.created', 'old-2'), cap);
      await h.store.createInvitation(anInvitation(org.id), draft(org.id, 'invite.created', 'live-1'), cap);
      await h.store.createInvitation(anInvitation(org.id), draft(org.id, 'invite.created', 'live-2'), cap);
      expect(await codeOf(h.store.createInvitation(anInvitation(org.id), draft(org.id, 'invite.created', 'live-3'), cap))).toBe('invite.cap_reached');
      // Later, the two live ones have expired as well.
      const later = { pendingCap: 2, now: hoursFrom(NOW, 100) };
      await h.store.createInvitation(anInvitation(org.id, { expiresAt: hoursFrom(NOW, 172) }), draft(org.id, 'invite.created', 'live-3'), later);
      expect((await h.store.listInvitations(org.id, { statuses: ['pending'] })).total).toBe(5);
    });

    it('when a pending invitation exists for an email, then another for it in any case is a duplicate, until the first ends or expires', async () => {
      const org = await h.newOrg();
      const racing = ['Ada@Example.com', 'ada@example.COM', ' ADA@EXAMPLE.COM'].flatMap((email) => [email, email, email]);
      const results = await Promise.all(
        racing.map((email, i) => codeOf(h.store.createInvitation(anInvitation(org.id, { email }), draft(org.id, 'invite.created', `r${i}`), CAP))),
      );
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'invite.duplicate')).toHaveLength(racing.length - 1);
      const [first] = (await h.store.listInvitations(org.id)).items;
      expect(await codeOf(h.store.createInvitation(anInvitation(org.id, { email: 'ada@example.com' }), draft(org.id, 'invite.created', 'x'), CAP))).toBe('invite.duplicate');

      await h.store.updateInvitation(org.id, first!.id, revoke);
      await h.store.createInvitation(anInvitation(org.id, { email: 'ada@example.com' }), draft(org.id, 'invite.created', 'again'), CAP);

      await h.store.createInvitation(anInvitation(org.id, { email: 'bob@example.com', expiresAt: hoursFrom(NOW, 1) }), draft(org.id, 'invite.created', 'b1'), CAP);
      const afterExpiry = { pendingCap: 50, now: hoursFrom(NOW, 2) };
      await h.store.createInvitation(anInvitation(org.id, { email: 'BOB@example.com', expiresAt: hoursFrom(NOW, 74) }), draft(org.id, 'invite.created', 'b2'), afterExpiry);
      expect(await h.store.listPendingInvitationsForEmail(org.id, 'bob@EXAMPLE.com')).toHaveLength(2);
      // Another org is not affected.
      const other = await h.newOrg();
      await h.store.createInvitation(anInvitation(other.id, { email: 'ada@example.com' }), draft(other.id, 'invite.created', 'o1'), CAP);
    });

    it('when an invitation is resent with a new token hash, then only the current hash finds it', async () => {
      const org = await h.newOrg();
      const inv = await h.store.createInvitation(anInvitation(org.id, { tokenHash: 'h-1' }), draft(org.id, 'invite.created', 'i'), CAP);
      expect(await h.store.findInvitationByTokenHash('h-1')).toEqual(inv);
      const res = await h.store.updateInvitation(org.id, inv.id, resend('h-2'));
      expect(res.record).toMatchObject({ tokenHash: 'h-2', sendCount: 2, version: 2 });
      expect(await h.store.findInvitationByTokenHash('h-1')).toBeUndefined();
      expect(await h.store.findInvitationByTokenHash('h-2')).toEqual(res.record);
      await h.store.updateInvitation(org.id, inv.id, accept('m-1'));
      expect((await h.store.findInvitationByTokenHash('h-2'))?.status).toBe('accepted');
      expect(await h.store.findInvitationByTokenHash('never')).toBeUndefined();
    });

    it('when pending invitations of an email are listed, then stored-pending ones come back, expired or not, newest first', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const expired = await h.store.createInvitation(anInvitation(org.id, { email: 'Eve@x.io', expiresAt: hoursFrom(NOW, -5) }), draft(org.id, 'invite.created', 'e1'), CAP);
      const revoked = await h.store.createInvitation(anInvitation(org.id, { email: 'eve@x.io' }), draft(org.id, 'invite.created', 'e2'), CAP);
      await h.store.updateInvitation(org.id, revoked.id, revoke);
      const live = await h.store.createInvitation(anInvitation(org.id, { email: 'EVE@x.io' }), draft(org.id, 'invite.created', 'e3'), CAP);
      await h.store.createInvitation(anInvitation(org.id, { email: 'someone@x.io' }), draft(org.id, 'invite.created', 'e4'), CAP);
      expect(ids(await h.store.listPendingInvitationsForEmail(org.id, 'eve@X.IO'))).toEqual([live.id, expired.id]);
      expect(await h.store.listPendingInvitationsForEmail(other.id, 'eve@x.io')).toEqual([]);
      await h.store.updateInvitation(org.id, live.id, (cur) => ({ next: { ...cur, email: 'eve@y.io' }, audit: draft(org.id, 'invite.updated', cur.id) }));
      expect(ids(await h.store.listPendingInvitationsForEmail(org.id, 'eve@x.io'))).toEqual([expired.id]);
      expect(ids(await h.store.listPendingInvitationsForEmail(org.id, 'eve@y.io'))).toEqual([live.id]);
    });

    it('when two accepts race, then exactly one wins; stale versions and unknown ids are refused; a null updater writes nothing', async () => {
      const org = await h.newOrg();
      const inv = await h.store.createInvitation(anInvitation(org.id), draft(org.id, 'invite.created', 'i'), CAP);
      let results: string[] = [];
      const appended = await h.auditDelta(org.id, async () => {
        results = await Promise.all(['m-1', 'm-2'].map((m) => codeOf(h.store.updateInvitation(org.id, inv.id, accept(m)))));
      });
      expect(results.sort()).toEqual(['invite.not_found', 'ok']);
      expect(appended).toBe(1);
      expect(await h.store.getInvitation(org.id, inv.id)).toMatchObject({ status: 'accepted', version: 2 });
      expect(await codeOf(h.store.updateInvitation(org.id, inv.id, revoke, { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.updateInvitation(org.id, 'missing', revoke))).toBe('invite.not_found');
      expect(await h.auditDelta(org.id, async () => expect((await h.store.updateInvitation(org.id, inv.id, () => null)).changed).toBe(false))).toBe(0);
    });
  });

  describe('invite links', () => {
    it('when links are created, rotated and revoked, then lookups by token hash follow and lists are newest first', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const links: InviteLink[] = [];
      for (let i = 0; i < 3; i++) links.push(await h.store.createInviteLink(anInviteLink(org.id, { tokenHash: `lh-${i}` }), draft(org.id, 'invite_link.created', `l${i}`)));
      expect(await h.store.getInviteLink(org.id, links[0]!.id)).toEqual(links[0]);
      expect(await h.store.getInviteLink(other.id, links[0]!.id)).toBeUndefined();
      expect(await h.store.findInviteLinkByTokenHash('lh-1')).toEqual(links[1]);
      expect(ids((await h.store.listInviteLinks(org.id)).items)).toEqual(ids(links).reverse());
      expect(await h.store.listInviteLinks(org.id, { offset: 2, limit: 5 })).toEqual({ items: [links[0]], total: 3 });

      const rotated = await h.store.updateInviteLink(org.id, links[1]!.id, (cur) => ({ next: { ...cur, tokenHash: 'lh-1b' }, audit: draft(org.id, 'invite_link.rotated', cur.id) }));
      expect(rotated.record.version).toBe(2);
      expect(await h.store.findInviteLinkByTokenHash('lh-1')).toBeUndefined();
      expect(await h.store.findInviteLinkByTokenHash('lh-1b')).toEqual(rotated.record);
      await h.store.updateInviteLink(org.id, links[1]!.id, (cur) => ({ next: { ...cur, revokedAt: NOW }, audit: draft(org.id, 'invite_link.revoked', cur.id) }));
      expect((await h.store.findInviteLinkByTokenHash('lh-1b'))?.revokedAt).toBe(NOW);
      expect(await codeOf(h.store.updateInviteLink(org.id, 'missing', useLink))).toBe('link.not_found');
      expect(await codeOf(h.store.updateInviteLink(org.id, links[0]!.id, useLink, { ifVersion: 7 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.createInviteLink(anInviteLink('no-such-org'), draft('no-such-org', 'invite_link.created', 'x')))).toBe('org.not_found');
    });

    it('when 10 joiners race for the last use of a link, then exactly one gets it; without a maximum no use is lost', async () => {
      const org = await h.newOrg();
      const once = await h.store.createInviteLink(anInviteLink(org.id, { maxUses: 1 }), draft(org.id, 'invite_link.created', 'once'));
      let results: string[] = [];
      const appended = await h.auditDelta(org.id, async () => {
        results = await Promise.all(Array.from({ length: 10 }, () => codeOf(h.store.updateInviteLink(org.id, once.id, useLink))));
      });
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      expect(results.filter((r) => r === 'link.not_found')).toHaveLength(9);
      expect(appended).toBe(1);
      expect(await h.store.getInviteLink(org.id, once.id)).toMatchObject({ uses: 1, version: 2 });

      const open = await h.store.createInviteLink(anInviteLink(org.id), draft(org.id, 'invite_link.created', 'open'));
      await Promise.all(Array.from({ length: 10 }, () => h.store.updateInviteLink(org.id, open.id, useLink)));
      expect(await h.store.getInviteLink(org.id, open.id)).toMatchObject({ uses: 10, version: 11 });
    });
  });

  describe('member identities', () => {
    const withIdentities = (m: Member, identities: Member['identities']) => ({ next: { ...m, identities }, audit: draft(m.orgId, 'member.updated', m.id) });

    it('when identities are linked, changed and unlinked, then the identity index follows; removed members and other orgs are not found', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const m = aMember(org.id, { identities: [{ provider: 'google', subject: '1001', email: 'ada@x.io' }] });
      await h.store.createMember(m, draft(org.id, 'member.created', m.id));
      expect((await h.store.findMemberByIdentity(org.id, 'google', '1001'))?.id).toBe(m.id);
      expect(await h.store.findMemberByIdentity(org.id, 'microsoft', '1001')).toBeUndefined();
      expect(await h.store.findMemberByIdentity(org.id, 'google', '1002')).toBeUndefined();
      expect(await h.store.findMemberByIdentity(other.id, 'google', '1001')).toBeUndefined();

      await h.store.updateMember(org.id, m.id, (cur) => withIdentities(cur, [...cur.identities, { provider: 'github', subject: '583231' }]));
      expect((await h.store.findMemberByIdentity(org.id, 'github', '583231'))?.id).toBe(m.id);
      expect((await h.store.findMemberByIdentity(org.id, 'google', '1001'))?.version).toBe(2);

      await h.store.updateMember(org.id, m.id, (cur) => withIdentities(cur, cur.identities.filter((i) => i.provider !== 'google')));
      expect(await h.store.findMemberByIdentity(org.id, 'google', '1001')).toBeUndefined();
      expect((await h.store.findMemberByIdentity(org.id, 'github', '583231'))?.id).toBe(m.id);

      await h.store.updateMember(org.id, m.id, (cur) => ({ next: { ...cur, status: 'removed', removedAt: NOW }, audit: draft(org.id, 'member.removed', cur.id) }));
      expect(await h.store.findMemberByIdentity(org.id, 'github', '583231')).toBeUndefined();
      // The person rejoins as a new member with the same identity.
      const again = aMember(org.id, { identities: [{ provider: 'github', subject: '583231' }] });
      await h.store.createMember(again, draft(org.id, 'member.created', again.id));
      expect((await h.store.findMemberByIdentity(org.id, 'github', '583231'))?.id).toBe(again.id);
      const tombstone = aMember(org.id, { status: 'removed', identities: [{ provider: 'microsoft', subject: 'oid-1' }] });
      await h.store.createMember(tombstone, draft(org.id, 'member.created', tombstone.id));
      expect(await h.store.findMemberByIdentity(org.id, 'microsoft', 'oid-1')).toBeUndefined();
    });
  });
}
