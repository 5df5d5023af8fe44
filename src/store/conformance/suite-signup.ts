import { describe, expect, it } from '@jest/globals';
import type { DomainClaim, JoinRequest } from '../../domain/signup.js';
import { draft } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const AT = '2026-01-01T00:00:00.000Z';

function aClaim(orgId: string, domain: string, status: DomainClaim['status'] = 'pending'): DomainClaim {
  return { orgId, domain, token: `tok-${orgId.slice(0, 8)}`, status, routeSignups: true, createdAt: AT, updatedAt: AT, version: 1 };
}

function aRequest(orgId: string, id: string, email = 'ada@acme.example'): JoinRequest {
  return { id, orgId, email, identity: { provider: 'google', subject: `sub-${id}`, email }, status: 'pending', createdAt: AT, updatedAt: AT, version: 1 };
}

const verify = (c: DomainClaim) => ({ next: { ...c, status: 'verified' as const, method: 'dns' as const, verifiedAt: AT }, audit: draft(c.orgId, 'domain.verified', c.domain) });

/** Domain claims (a verified domain belongs to one org) and join requests. */
export function signupConformance(h: StoreHarness): void {
  describe('domain claims', () => {
    it('when an org claims a domain, then it is listed, audited once, and a second claim by the same org is refused', async () => {
      const org = await h.newOrg();
      const n = await h.auditDelta(org.id, () => h.store.createDomainClaim(aClaim(org.id, 'acme.example'), draft(org.id, 'domain.added', 'acme.example')));
      expect(n).toBe(1);
      await h.store.createDomainClaim(aClaim(org.id, 'acme.test'), draft(org.id, 'domain.added', 'acme.test'));
      expect((await h.store.listDomainClaims(org.id)).map((c) => c.domain)).toEqual(['acme.example', 'acme.test']);
      expect(await codeOf(h.store.createDomainClaim(aClaim(org.id, 'acme.example'), draft(org.id, 'domain.added', 'x')))).toBe('domain.exists');
      expect(await codeOf(h.store.createDomainClaim(aClaim('missing', 'acme.example'), draft('missing', 'domain.added', 'x')))).toBe('org.not_found');
      expect(await h.store.findVerifiedDomain('acme.example')).toBeUndefined();
    });

    it('when two orgs claim one domain, then both may hold it pending but only the first to verify gets it', async () => {
      const [a, b] = [await h.newOrg(), await h.newOrg()];
      await h.store.createDomainClaim(aClaim(a.id, 'shared.example'), draft(a.id, 'domain.added', 'shared.example'));
      await h.store.createDomainClaim(aClaim(b.id, 'shared.example'), draft(b.id, 'domain.added', 'shared.example'));
      const r = await h.store.updateDomainClaim(a.id, 'shared.example', verify);
      expect(r).toMatchObject({ changed: true, record: { status: 'verified', version: 2 } });
      const before = (await h.store.listAudit(b.id)).length;
      expect(await codeOf(h.store.updateDomainClaim(b.id, 'shared.example', verify))).toBe('domain.taken');
      expect((await h.store.listAudit(b.id)).length).toBe(before);
      expect((await h.store.getDomainClaim(b.id, 'shared.example'))?.status).toBe('pending');
      expect((await h.store.findVerifiedDomain('shared.example'))?.orgId).toBe(a.id);
      expect(await codeOf(h.store.createDomainClaim(aClaim(b.id, 'other.example', 'verified'), draft(b.id, 'domain.added', 'x')))).toBe('ok');
      expect(await codeOf(h.store.createDomainClaim(aClaim(a.id, 'other.example', 'verified'), draft(a.id, 'domain.added', 'x')))).toBe('domain.taken');
    });

    it('when two orgs verify one domain at the same moment, then exactly one wins and the other is refused with domain.taken', async () => {
      for (let round = 0; round < 5; round++) {
        const orgs = [await h.newOrg(), await h.newOrg(), await h.newOrg()];
        const domain = `race${round}.example`;
        for (const o of orgs) await h.store.createDomainClaim(aClaim(o.id, domain), draft(o.id, 'domain.added', domain));
        const codes = await Promise.all(orgs.map((o) => codeOf(h.store.updateDomainClaim(o.id, domain, verify))));
        expect(codes.filter((c) => c === 'ok')).toHaveLength(1);
        expect(codes.filter((c) => c === 'domain.taken')).toHaveLength(2);
        const winner = orgs[codes.indexOf('ok')]!;
        expect((await h.store.findVerifiedDomain(domain))?.orgId).toBe(winner.id);
        const verified = await Promise.all(orgs.map(async (o) => (await h.store.getDomainClaim(o.id, domain))?.status));
        expect(verified.filter((s) => s === 'verified')).toHaveLength(1);
      }
    });

    it('when the verified claim is removed, then the domain is free for another org; a stale ifVersion is refused', async () => {
      const [a, b] = [await h.newOrg(), await h.newOrg()];
      await h.store.createDomainClaim(aClaim(a.id, 'free.example'), draft(a.id, 'domain.added', 'free.example'));
      await h.store.createDomainClaim(aClaim(b.id, 'free.example'), draft(b.id, 'domain.added', 'free.example'));
      await h.store.updateDomainClaim(a.id, 'free.example', verify);
      expect(await codeOf(h.store.updateDomainClaim(a.id, 'free.example', verify, { ifVersion: 1 }))).toBe('version.mismatch');
      const n = await h.auditDelta(a.id, () => h.store.deleteDomainClaim(a.id, 'free.example', draft(a.id, 'domain.removed', 'free.example')));
      expect(n).toBe(1);
      expect(await codeOf(h.store.deleteDomainClaim(a.id, 'free.example', draft(a.id, 'domain.removed', 'x')))).toBe('domain.not_found');
      expect(await codeOf(h.store.updateDomainClaim(a.id, 'free.example', verify))).toBe('domain.not_found');
      expect(await h.store.findVerifiedDomain('free.example')).toBeUndefined();
      await h.store.updateDomainClaim(b.id, 'free.example', verify);
      expect((await h.store.findVerifiedDomain('free.example'))?.orgId).toBe(b.id);
      // Back to pending (e.g. the record is gone from DNS): the domain is free again.
      await h.store.updateDomainClaim(b.id, 'free.example', (c) => ({ next: { ...c, status: 'pending' }, audit: draft(b.id, 'domain.unverified', c.domain) }));
      expect(await h.store.findVerifiedDomain('free.example')).toBeUndefined();
    });
  });

  describe('join requests', () => {
    it('when requests are made and decided, then they list oldest first, filter by status, and a decision is compare-and-swap', async () => {
      const org = await h.newOrg();
      const n = await h.auditDelta(org.id, () => h.store.createJoinRequest(aRequest(org.id, 'r1'), draft(org.id, 'join_request.created', 'r1')));
      expect(n).toBe(1);
      await h.store.createJoinRequest(aRequest(org.id, 'r2', 'bo@acme.example'), draft(org.id, 'join_request.created', 'r2'));
      expect(await codeOf(h.store.createJoinRequest(aRequest('missing', 'r3'), draft('missing', 'join_request.created', 'r3')))).toBe('org.not_found');
      expect((await h.store.listJoinRequests(org.id)).map((r) => r.id)).toEqual(['r1', 'r2']);
      const decide = (r: JoinRequest) => (r.status === 'pending' ? { next: { ...r, status: 'approved' as const }, audit: draft(org.id, 'join_request.approved', r.id) } : null);
      const results = await Promise.all([h.store.updateJoinRequest(org.id, 'r1', decide), h.store.updateJoinRequest(org.id, 'r1', decide)]);
      expect(results.filter((r) => r.changed)).toHaveLength(1);
      expect((await h.store.getJoinRequest(org.id, 'r1'))).toMatchObject({ status: 'approved', version: 2 });
      expect((await h.store.listJoinRequests(org.id, { statuses: ['pending'] })).map((r) => r.id)).toEqual(['r2']);
      expect(await codeOf(h.store.updateJoinRequest(org.id, 'nope', decide))).toBe('join_request.not_found');
      expect(await h.store.getJoinRequest(org.id, 'nope')).toBeUndefined();
    });
  });
}
