import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import type { ConsoleSession, PortalLink } from '../../domain/console.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { codeOf, type StoreHarness } from './harness.js';

const T0 = Date.parse('2026-03-01T09:00:00.000Z');
const MIN = 60_000;
const hash = () => createHash('sha256').update(randomBytes(32)).digest('hex');
const at = (ms: number) => new Date(ms);

function aSession(orgId: string, over: Partial<ConsoleSession> = {}): ConsoleSession {
  return {
    idHash: hash(),
    publicId: randomUUID().slice(0, 8),
    orgId,
    intent: 'members',
    actor: { kind: 'portal', id: 'p1', label: 'portal link' },
    csrfSecret: randomBytes(24).toString('base64url'),
    createdAt: at(T0).toISOString(),
    lastSeenAt: at(T0).toISOString(),
    idleExpiresAt: at(T0 + 30 * MIN).toISOString(),
    expiresAt: at(T0 + 360 * MIN).toISOString(),
    ...over,
  };
}

function aLink(orgId: string, over: Partial<PortalLink> = {}): PortalLink {
  return { tokenHash: hash(), orgId, intent: 'all', createdBy: { kind: 'cli', label: 'idsync CLI' }, createdAt: at(T0).toISOString(), expiresAt: at(T0 + 5 * MIN).toISOString(), ...over };
}

/** Console sessions and one-time portal links (bookkeeping: never audited). */
export function sessionConformance(h: StoreHarness): void {
  describe('console sessions and portal links', () => {
    it('when a session is used, then its idle expiry moves (never past the absolute one) and after either expiry it is gone', async () => {
      const org = await h.newOrg();
      const s = aSession(org.id);
      expect(await h.auditDelta(org.id, () => h.store.createConsoleSession(s))).toBe(0);
      const seen = await h.store.touchConsoleSession(s.idHash, at(T0 + 20 * MIN), 30 * MIN);
      expect(seen).toMatchObject({ orgId: org.id, intent: 'members', csrfSecret: s.csrfSecret, actor: s.actor, lastSeenAt: at(T0 + 20 * MIN).toISOString(), idleExpiresAt: at(T0 + 50 * MIN).toISOString() });
      // Idle: 30 minutes after the last use it is gone, though 20 minutes after it was still live.
      expect(await h.store.touchConsoleSession(s.idHash, at(T0 + 49 * MIN), 30 * MIN)).toBeDefined();
      expect(await h.store.touchConsoleSession(s.idHash, at(T0 + 79 * MIN + 59_000), 30 * MIN)).toBeUndefined();
      // Absolute: kept alive by use, it still ends at its absolute expiry, and the idle one is capped there.
      const busy = aSession(org.id);
      await h.store.createConsoleSession(busy);
      let last;
      for (let m = 25; m < 360; m += 25) last = await h.store.touchConsoleSession(busy.idHash, at(T0 + m * MIN), 30 * MIN);
      expect(last?.idleExpiresAt).toBe(busy.expiresAt);
      expect(await h.store.touchConsoleSession(busy.idHash, at(T0 + 360 * MIN), 30 * MIN)).toBeUndefined();
      expect(await h.store.touchConsoleSession(hash(), at(T0), 30 * MIN)).toBeUndefined();
      expect(await codeOf(h.store.createConsoleSession({ ...aSession(org.id), idHash: s.idHash }))).toBe('internal');
    });

    it('when a signed-in person or operator session and an operator link (no org) are stored, then who signed in comes back as written', async () => {
      const org = await h.newOrg();
      const person = aSession(org.id, { intent: 'all', who: { kind: 'person', provider: 'google', subject: 'sub-9', email: 'ada@example.com', emailVerified: true }, actor: { kind: 'member', label: 'ada@example.com' } });
      const operator = aSession('', { intent: 'all', who: { kind: 'operator' } });
      await h.store.createConsoleSession(person);
      await h.store.createConsoleSession(operator);
      expect(await h.store.touchConsoleSession(person.idHash, at(T0 + MIN), 30 * MIN)).toMatchObject({ orgId: org.id, who: person.who, actor: person.actor });
      expect(await h.store.touchConsoleSession(operator.idHash, at(T0 + MIN), 30 * MIN)).toMatchObject({ orgId: '', who: { kind: 'operator' } });
      const link = aLink('', { operator: true });
      await h.store.createPortalLink(link);
      const found = await h.store.consumePortalLink(link.tokenHash, at(T0 + MIN));
      expect(found).toMatchObject({ outcome: 'consumed', link: { orgId: '', operator: true } });
    });

    it('when a session is revoked, then no later use finds it and revoking again says so', async () => {
      const org = await h.newOrg();
      const s = aSession(org.id);
      await h.store.createConsoleSession(s);
      expect(await h.store.revokeConsoleSession(s.idHash, at(T0 + MIN))).toBe(true);
      expect(await h.store.touchConsoleSession(s.idHash, at(T0 + 2 * MIN), 30 * MIN)).toBeUndefined();
      expect(await h.store.revokeConsoleSession(s.idHash, at(T0 + 3 * MIN))).toBe(false);
      expect(await h.store.revokeConsoleSession(hash(), at(T0))).toBe(false);
    });

    it("when a member's sessions are revoked, then every live one of theirs in that org ends and nobody else's does", async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const memberId = randomUUID();
      const mine = [aSession(org.id, { memberId }), aSession(org.id, { memberId, intent: 'all' })];
      const ended = aSession(org.id, { memberId });
      const someoneElse = aSession(org.id, { memberId: randomUUID() });
      const unbound = aSession(org.id);
      const elsewhere = aSession(other.id, { memberId });
      for (const s of [...mine, ended, someoneElse, unbound, elsewhere]) await h.store.createConsoleSession(s);
      expect(await h.store.revokeConsoleSession(ended.idHash, at(T0 + MIN))).toBe(true);
      expect(await h.auditDelta(org.id, async () => expect(await h.store.revokeMemberConsoleSessions(org.id, memberId, at(T0 + 2 * MIN))).toBe(2))).toBe(0);
      for (const s of [...mine, ended]) expect(await h.store.touchConsoleSession(s.idHash, at(T0 + 3 * MIN), 30 * MIN)).toBeUndefined();
      for (const s of [someoneElse, unbound, elsewhere]) expect(await h.store.touchConsoleSession(s.idHash, at(T0 + 3 * MIN), 30 * MIN)).toMatchObject({ idHash: s.idHash });
      expect((await h.store.touchConsoleSession(someoneElse.idHash, at(T0 + 4 * MIN), 30 * MIN))?.memberId).toBe(someoneElse.memberId);
      expect(await h.store.revokeMemberConsoleSessions(org.id, memberId, at(T0 + 5 * MIN))).toBe(0);
      expect(await h.store.revokeMemberConsoleSessions(org.id, randomUUID(), at(T0 + 5 * MIN))).toBe(0);
    });

    it('when twenty requests race to open one portal link, then exactly one consumes it; later ones see it used, a late one expired', async () => {
      const org = await h.newOrg();
      const link = aLink(org.id);
      expect(await h.auditDelta(org.id, () => h.store.createPortalLink(link))).toBe(0);
      const outcomes = await Promise.all(Array.from({ length: 20 }, () => h.store.consumePortalLink(link.tokenHash, at(T0 + MIN))));
      expect(outcomes.filter((o) => o.outcome === 'consumed')).toHaveLength(1);
      expect(outcomes.filter((o) => o.outcome === 'used')).toHaveLength(19);
      const won = outcomes.find((o) => o.outcome === 'consumed');
      expect(won).toEqual({ outcome: 'consumed', link: { ...link, usedAt: at(T0 + MIN).toISOString() } });
      expect(await h.store.consumePortalLink(link.tokenHash, at(T0 + 10 * MIN))).toEqual({ outcome: 'used', link: { ...link, usedAt: at(T0 + MIN).toISOString() } });
      const late = aLink(org.id);
      await h.store.createPortalLink(late);
      expect(await h.store.consumePortalLink(late.tokenHash, at(T0 + 5 * MIN))).toEqual({ outcome: 'expired', link: late });
      // An expired link stays unused: it never turns into a session.
      expect((await h.store.consumePortalLink(late.tokenHash, at(T0 + 6 * MIN))).outcome).toBe('expired');
      expect(await h.store.consumePortalLink(hash(), at(T0))).toEqual({ outcome: 'not_found' });
      expect(await codeOf(h.store.createPortalLink({ ...aLink(org.id), tokenHash: link.tokenHash }))).toBe('internal');
    });

    it('when the sweep runs, then live sessions and recent links stay usable', async () => {
      const org = await h.newOrg();
      const live = aSession(org.id);
      const idle = aSession(org.id);
      const link = aLink(org.id);
      await h.store.createConsoleSession(live);
      await h.store.createConsoleSession(idle);
      await h.store.createPortalLink(link);
      await h.store.touchConsoleSession(live.idHash, at(T0 + 25 * MIN), 30 * MIN);
      const swept = await h.store.sweepConsoleSessions(at(T0 + 40 * MIN));
      // A backend whose records expire by themselves forgets them unasked (0); another deletes the idle one.
      expect(swept === 0 || swept === 1).toBe(true);
      expect(await h.store.touchConsoleSession(live.idHash, at(T0 + 41 * MIN), 30 * MIN)).toBeDefined();
      expect(await h.store.touchConsoleSession(idle.idHash, at(T0 + 41 * MIN), 30 * MIN)).toBeUndefined();
      expect((await h.store.consumePortalLink(link.tokenHash, at(T0 + 40 * MIN))).outcome).toBe('expired');
    });

    it("when an org is purged, then the sessions opened on it end at once and other orgs' and the operator's stay live", async () => {
      const [org, other] = [await h.newOrg(), await h.newOrg()];
      const portal = aSession(org.id);
      const person = aSession(org.id, { intent: 'all', who: { kind: 'person', provider: 'google', subject: 'sub-7', email: 'ada@example.com', emailVerified: true }, actor: { kind: 'member', label: 'ada@example.com' } });
      const elsewhere = aSession(other.id);
      const operator = aSession('', { intent: 'all', who: { kind: 'operator' } });
      for (const s of [portal, person, elsewhere, operator]) await h.store.createConsoleSession(s);

      await h.store.purgeOrg(
        { orgId: org.id, name: org.name, deletionRequestedAt: at(T0).toISOString(), purgeAt: at(T0).toISOString(), purgedAt: at(T0).toISOString() },
        { orgId: PROVIDER_SCOPE, actor: { kind: 'system', label: 'org purge' }, action: 'org.purged', target: { type: 'org', id: org.id } },
      );

      expect(await h.store.touchConsoleSession(portal.idHash, at(T0 + MIN), 30 * MIN)).toBeUndefined();
      expect(await h.store.touchConsoleSession(person.idHash, at(T0 + MIN), 30 * MIN)).toBeUndefined();
      expect(await h.store.touchConsoleSession(elsewhere.idHash, at(T0 + MIN), 30 * MIN)).toMatchObject({ orgId: other.id });
      expect(await h.store.touchConsoleSession(operator.idHash, at(T0 + MIN), 30 * MIN)).toMatchObject({ who: { kind: 'operator' } });
    });
  });
}
