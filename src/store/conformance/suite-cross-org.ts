import { describe, expect, it } from '@jest/globals';
import type { Identity, Member } from '../../domain/model.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { aMember, anInvitation, anInviteLink, draft } from './fixtures.js';
import type { StoreHarness } from './harness.js';

const PURGED_AT = '2026-02-01T00:00:00.000Z';

/**
 * Cross-organization candidate lookups (ports/store/cross-org.ts): every org with a live match is
 * among the candidates, an org that never had one is not; a stale candidate is allowed, and the
 * per-org lookup then finds nothing in it.
 */
export function crossOrgConformance(h: StoreHarness): void {
  const create = (m: Member) => h.store.createMember(m, draft(m.orgId, 'member.created', m.id));

  describe('cross-org indexes', () => {
    it('when the same person is a member of two orgs, then their identity, email (any case) and member id find those orgs and not a third', async () => {
      const [a, b, c] = [await h.newOrg(), await h.newOrg(), await h.newOrg()];
      const identities: Identity[] = [{ provider: 'google', subject: 'sub-ada' }];
      const ma = await create(aMember(a.id, { userName: 'ada@acme.example', emails: [{ value: 'ada@acme.example', primary: true }], identities }));
      await create(aMember(b.id, { userName: 'ada-b', emails: [{ value: 'Other@acme.example' }, { value: 'ADA@Acme.Example' }], identities }));
      await create(aMember(c.id, { userName: 'grace@acme.example', identities: [{ provider: 'google', subject: 'sub-grace' }] }));

      expect(await h.store.findOrgIdsByMemberIdentity('google', 'sub-ada')).toEqual(expect.arrayContaining([a.id, b.id]));
      expect(await h.store.findOrgIdsByMemberIdentity('google', 'sub-ada')).not.toContain(c.id);
      expect(await h.store.findOrgIdsByMemberIdentity('github', 'sub-ada')).toEqual([]);
      const byEmail = await h.store.findOrgIdsByMemberEmail(' Ada@ACME.example ');
      expect(byEmail).toEqual(expect.arrayContaining([a.id, b.id]));
      expect(byEmail).not.toContain(c.id);
      expect(new Set(byEmail).size).toBe(byEmail.length);
      expect(await h.store.findOrgIdsByMemberEmail('nobody@acme.example')).toEqual([]);
      expect(await h.store.findOrgIdsByMemberId(ma.id)).toEqual([a.id]);
      expect(await h.store.findOrgIdsByMemberId('no-such-member')).toEqual([]);
    });

    it('when a member gets a new email and identity (one update, then a batch), then the new values find the org; a removed member is not found there', async () => {
      const org = await h.newOrg();
      const m = await create(aMember(org.id));
      await h.store.updateMember(org.id, m.id, (cur) => ({
        next: { ...cur, emails: [{ value: 'renamed@acme.example' }], identities: [{ provider: 'microsoft', subject: 'oid-1' }] },
        audit: draft(org.id, 'member.updated', m.id),
      }));
      expect(await h.store.findOrgIdsByMemberEmail('renamed@acme.example')).toEqual([org.id]);
      expect(await h.store.findOrgIdsByMemberIdentity('microsoft', 'oid-1')).toEqual([org.id]);
      await h.store.updateMembers(org.id, [
        { id: m.id, updater: (cur) => ({ next: { ...cur, emails: [{ value: 'batched@acme.example' }], identities: [{ provider: 'github', subject: '42' }] }, audit: draft(org.id, 'member.updated', m.id) }) },
      ]);
      expect(await h.store.findOrgIdsByMemberEmail('batched@acme.example')).toEqual([org.id]);
      expect(await h.store.findOrgIdsByMemberIdentity('github', '42')).toEqual([org.id]);

      await h.store.updateMember(org.id, m.id, (cur) => ({ next: { ...cur, status: 'removed' }, audit: draft(org.id, 'member.removed', m.id) }));
      // A stale candidate is allowed; the per-org lookups then find nobody.
      for (const id of await h.store.findOrgIdsByMemberEmail('batched@acme.example')) expect(await h.store.findMembersByEmail(id, 'batched@acme.example')).toEqual([]);
      for (const id of await h.store.findOrgIdsByMemberIdentity('github', '42')) expect(await h.store.findMemberByIdentity(id, 'github', '42')).toBeUndefined();
    });

    it('when orgs invite an email, then the orgs with a stored-pending invitation for it are candidates, and one created revoked is not', async () => {
      const [a, b, c] = [await h.newOrg(), await h.newOrg(), await h.newOrg()];
      const opts = { pendingCap: 50, now: PURGED_AT };
      await h.store.createInvitation(anInvitation(a.id, { email: 'New@Acme.example' }), draft(a.id, 'invitation.created', 'x'), opts);
      const inv = await h.store.createInvitation(anInvitation(b.id, { email: 'other@acme.example' }), draft(b.id, 'invitation.created', 'y'), opts);
      await h.store.createInvitation(anInvitation(c.id, { email: 'new@acme.example', status: 'revoked' }), draft(c.id, 'invitation.created', 'z'), opts);
      await h.store.updateInvitation(b.id, inv.id, (cur) => ({ next: { ...cur, email: 'new@acme.example' }, audit: draft(b.id, 'invitation.updated', inv.id) }));

      const found = await h.store.findOrgIdsWithPendingInvitationFor('NEW@acme.example');
      expect(found).toEqual(expect.arrayContaining([a.id, b.id]));
      expect(found).not.toContain(c.id);
      expect(await h.store.findOrgIdsWithPendingInvitationFor('nobody@acme.example')).toEqual([]);
    });

    it('when invite links allow a domain (at creation or by an update), then the domain (any case) finds their orgs', async () => {
      const [a, b, c] = [await h.newOrg(), await h.newOrg(), await h.newOrg()];
      await h.store.createInviteLink(anInviteLink(a.id, { allowedDomains: ['Acme.example', 'b.example'] }), draft(a.id, 'link.created', 'x'));
      const link = await h.store.createInviteLink(anInviteLink(b.id), draft(b.id, 'link.created', 'y'));
      await h.store.createInviteLink(anInviteLink(c.id, { allowedDomains: ['c.example'] }), draft(c.id, 'link.created', 'z'));
      await h.store.updateInviteLink(b.id, link.id, (cur) => ({ next: { ...cur, allowedDomains: ['acme.example'] }, audit: draft(b.id, 'link.updated', link.id) }));

      const found = await h.store.findOrgIdsWithInviteLinkDomain('ACME.EXAMPLE');
      expect(found).toEqual(expect.arrayContaining([a.id, b.id]));
      expect(found).not.toContain(c.id);
      expect(await h.store.findOrgIdsWithInviteLinkDomain('b.example')).toEqual([a.id]);
      expect(await h.store.findOrgIdsWithInviteLinkDomain('nowhere.example')).toEqual([]);
    });

    it('when an org is purged, then it is no longer a candidate for its members, invitations and links', async () => {
      const [gone, kept] = [await h.newOrg(), await h.newOrg()];
      for (const o of [gone, kept]) {
        await create(aMember(o.id, { emails: [{ value: 'pat@acme.example' }], identities: [{ provider: 'google', subject: 'pat' }] }));
        await h.store.createInvitation(anInvitation(o.id, { email: 'lee@acme.example' }), draft(o.id, 'invitation.created', 'x'), { pendingCap: 50, now: PURGED_AT });
        await h.store.createInviteLink(anInviteLink(o.id, { allowedDomains: ['acme.example'] }), draft(o.id, 'link.created', 'x'));
      }
      await h.store.purgeOrg({ orgId: gone.id, name: gone.name, deletionRequestedAt: PURGED_AT, purgeAt: PURGED_AT, purgedAt: PURGED_AT }, draft(PROVIDER_SCOPE, 'org.purged', gone.id));
      expect(await h.store.findOrgIdsByMemberEmail('pat@acme.example')).toEqual([kept.id]);
      expect(await h.store.findOrgIdsByMemberIdentity('google', 'pat')).toEqual([kept.id]);
      expect(await h.store.findOrgIdsWithPendingInvitationFor('lee@acme.example')).toEqual([kept.id]);
      expect(await h.store.findOrgIdsWithInviteLinkDomain('acme.example')).toEqual([kept.id]);
    });
  });
}
