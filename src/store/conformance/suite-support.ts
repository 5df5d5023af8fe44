import { describe, expect, it } from '@jest/globals';
import type { Organization } from '../../domain/model.js';
import type { PurgeReceipt, SupportGrant } from '../../domain/support.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { aConnection, aDelivery, aMember, anInvitation, anInviteLink, aRun, aTeam, aWebhook, draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const at = '2026-01-01T00:00:00.000Z';

function aGrant(orgId: string, id: string): SupportGrant {
  return { id, orgId, reason: 'ticket 42', grantedBy: { kind: 'admin', id: 'k1' }, createdAt: at, expiresAt: '2026-01-01T04:00:00.000Z', updatedAt: at, version: 1 };
}

const receiptBase = (org: Organization): Omit<PurgeReceipt, 'lastAuditHash' | 'auditCount'> => ({
  orgId: org.id,
  name: org.name,
  deletionRequestedAt: at,
  purgeAt: '2026-01-31T00:00:00.000Z',
  purgedAt: '2026-02-01T00:00:00.000Z',
});

/** Fills an org with one record of every kind the purge must remove; returns what to look for afterwards. */
async function populate(h: StoreHarness, org: Organization) {
  const m = aMember(org.id);
  await h.store.createMember(m, draft(org.id, 'member.created', m.id));
  const team = aTeam(org.id);
  await h.store.createTeam(team, draft(org.id, 'team.created', team.id));
  await h.store.addTeamMembers(org.id, team.id, [m.id], draft(org.id, 'team.members_added', team.id));
  const inv = anInvitation(org.id);
  await h.store.createInvitation(inv, draft(org.id, 'invitation.created', inv.id), { pendingCap: 50, now: at });
  const link = anInviteLink(org.id);
  await h.store.createInviteLink(link, draft(org.id, 'link.created', link.id));
  const conn = aConnection(org.id);
  await h.store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
  const run = aRun(conn);
  await h.store.createRun(run);
  const hook = aWebhook(org.id);
  await h.store.createWebhook(hook, draft(org.id, 'webhook.created', hook.id));
  await h.store.saveDelivery(aDelivery(org.id, hook.id));
  const token = { id: `t-${org.id}`, orgId: org.id, prefix: 'scim_abc', hash: `hash-${org.id}`, createdAt: at };
  await h.store.createScimToken(token, draft(org.id, 'scim_token.created', token.id), 2);
  const key = { id: `k-${org.id}`, orgId: org.id, prefix: 'idsk_abc', hash: `hk-${org.id}`, createdAt: at };
  await h.store.createAdminKey(key, draft(org.id, 'admin_key.created', key.id));
  await h.store.createSupportGrant(aGrant(org.id, `g-${org.id}`), draft(org.id, 'support.granted', `g-${org.id}`));
  return { m, team, inv, link, conn, run, hook, token, key };
}

/** Support access grants, and the purge of a deleted org. */
export function supportConformance(h: StoreHarness): void {
  describe('support grants', () => {
    it('when grants are created, then each goes with one audit event and they are listed newest first, per org', async () => {
      const [org, other] = [await h.newOrg(), await h.newOrg()];
      expect(await h.auditDelta(org.id, () => h.store.createSupportGrant(aGrant(org.id, 'g1'), draft(org.id, 'support.granted', 'g1')))).toBe(1);
      await h.store.createSupportGrant(aGrant(org.id, 'g2'), draft(org.id, 'support.granted', 'g2'));
      expect((await h.store.listSupportGrants(org.id)).map((g) => g.id)).toEqual(['g2', 'g1']);
      expect(await h.store.listSupportGrants(other.id)).toEqual([]);
      expect(await h.store.getSupportGrant(org.id, 'g1')).toEqual(aGrant(org.id, 'g1'));
      expect(await h.store.getSupportGrant(other.id, 'g1')).toBeUndefined();
      expect(await codeOf(h.store.createSupportGrant(aGrant('missing', 'g3'), draft('missing', 'support.granted', 'g3')))).toBe('org.not_found');
    });

    it('when a grant is updated, then the version grows, a stale ifVersion is refused and racing updates all land', async () => {
      const org = await h.newOrg();
      await h.store.createSupportGrant(aGrant(org.id, 'g1'), draft(org.id, 'support.granted', 'g1'));
      const r = await h.store.updateSupportGrant(org.id, 'g1', (g) => ({ next: { ...g, revokedAt: at }, audit: draft(org.id, 'support.revoked', 'g1') }));
      expect(r).toMatchObject({ changed: true, record: { version: 2, revokedAt: at } });
      expect(await h.auditDelta(org.id, () => h.store.updateSupportGrant(org.id, 'g1', () => null))).toBe(0);
      expect(await codeOf(h.store.updateSupportGrant(org.id, 'g1', (g) => ({ next: g, audit: draft(org.id, 'x', 'g1') }), { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.updateSupportGrant(org.id, 'nope', (g) => ({ next: g, audit: draft(org.id, 'x', 'nope') })))).toBe('support.grant_not_found');
      await Promise.all(Array.from({ length: 8 }, (_, i) => h.store.updateSupportGrant(org.id, 'g1', (g) => ({ next: { ...g, reason: `${g.reason}|${i}` }, audit: draft(org.id, 'x', 'g1') }))));
      expect((await h.store.getSupportGrant(org.id, 'g1'))?.version).toBe(10);
    });
  });

  describe('org purge', () => {
    it('when an org is purged, then none of its records remain, the receipt keeps its chain end, the provider chain records it and other orgs are untouched', async () => {
      const [org, other] = [await h.newOrg(), await h.newOrg()];
      const gone = await populate(h, org);
      const kept = await populate(h, other);
      const chain = await h.store.listAudit(org.id);
      const last = chain.at(-1)!;

      const providerEvents = await h.auditDelta(PROVIDER_SCOPE, async () => {
        const r = await h.store.purgeOrg(receiptBase(org), draft(PROVIDER_SCOPE, 'org.purged', org.id));
        expect(r.purged).toBe(true);
        expect(r.receipt).toEqual({ ...receiptBase(org), lastAuditHash: last.hash, auditCount: last.seq });
      });
      expect(providerEvents).toBe(1);

      expect(await h.store.getOrg(org.id)).toBeUndefined();
      expect((await h.store.listOrgs()).items.map((o) => o.id)).toEqual([other.id]);
      expect((await h.store.listMembers(org.id)).total).toBe(0);
      expect(await h.store.getMember(org.id, gone.m.id)).toBeUndefined();
      expect((await h.store.listTeams(org.id)).total).toBe(0);
      expect((await h.store.listInvitations(org.id)).total).toBe(0);
      expect(await h.store.findInvitationByTokenHash(gone.inv.tokenHash)).toBeUndefined();
      expect((await h.store.listInviteLinks(org.id)).total).toBe(0);
      expect(await h.store.findInviteLinkByTokenHash(gone.link.tokenHash)).toBeUndefined();
      expect(await h.store.listConnections(org.id)).toEqual([]);
      expect(await h.store.getConnection(gone.conn.id)).toBeUndefined();
      expect(await h.store.getRun(gone.run.id)).toBeUndefined();
      expect(await h.store.listWebhooks(org.id)).toEqual([]);
      expect((await h.store.listDeliveries(org.id)).total).toBe(0);
      expect(await h.store.findScimTokenByHash(gone.token.hash)).toBeUndefined();
      expect(await h.store.findAdminKeyByHash(gone.key.hash)).toBeUndefined();
      expect((await h.store.listAdminKeys()).map((k) => k.id)).not.toContain(gone.key.id);
      expect(await h.store.listSupportGrants(org.id)).toEqual([]);
      expect(await h.store.listAudit(org.id)).toEqual([]);
      expect(await h.store.listOrgsWithOutboxBacklog('webhooks')).not.toContain(org.id);

      expect((await h.store.listMembers(other.id)).total).toBe(1);
      expect(await h.store.findScimTokenByHash(kept.token.hash)).toBeDefined();
      expect(await h.store.findAdminKeyByHash(kept.key.hash)).toBeDefined();
      expect(await h.store.findInvitationByTokenHash(kept.inv.tokenHash)).toBeDefined();
      expect(await h.store.getConnection(kept.conn.id)).toBeDefined();
      expect(await h.store.getRun(kept.run.id)).toBeDefined();
      expect((await h.store.listAudit(other.id)).length).toBeGreaterThan(5);
    });

    it('when a purge runs again, then it changes nothing and returns the receipt kept; an unknown org is not found', async () => {
      const org = await h.newOrg();
      await populate(h, org);
      const first = await h.store.purgeOrg(receiptBase(org), draft(PROVIDER_SCOPE, 'org.purged', org.id));
      const again = await h.auditDelta(PROVIDER_SCOPE, async () => {
        const r = await h.store.purgeOrg({ ...receiptBase(org), purgedAt: '2026-03-01T00:00:00.000Z' }, draft(PROVIDER_SCOPE, 'org.purged', org.id));
        expect(r).toEqual({ receipt: first.receipt, purged: false });
      });
      expect(again).toBe(0);
      expect(await h.store.getPurgeReceipt(org.id)).toEqual(first.receipt);
      expect(await h.store.listPurgeReceipts()).toEqual([first.receipt]);
      expect(await codeOf(h.store.purgeOrg({ ...receiptBase(org), orgId: 'missing' }, draft(PROVIDER_SCOPE, 'org.purged', 'missing')))).toBe('org.not_found');
    });
  });
}
