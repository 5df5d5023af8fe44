import { describe, expect, it } from '@jest/globals';
import type { AuditVerification } from '../../domain/audit-verification.js';
import { verifyChain } from '../../ports/audit-chain.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { aMember, draft } from './fixtures.js';
import { type StoreHarness } from './harness.js';

/** The audit chains and their outbox. */
export function auditConformance(h: StoreHarness): void {
  describe('audit and outbox', () => {
    it('when changes happen, then each appends one chained audit event and one outbox record with the same id', async () => {
      const org = await h.newOrg();
      const m = aMember(org.id);
      await h.store.createMember(m, draft(org.id, 'member.created', m.id, { after: { status: 'active', note: undefined } }));
      await h.store.updateMember(org.id, m.id, (cur) => ({ next: { ...cur, status: 'inactive' }, audit: draft(org.id, 'member.deactivated', m.id, { reason: 'left' }) }));
      const events = await h.store.listAudit(org.id);
      expect(events.map((e) => [e.seq, e.action])).toEqual([
        [1, 'org.created'],
        [2, 'member.created'],
        [3, 'member.deactivated'],
      ]);
      expect(verifyChain(events).ok).toBe(true);
      const outbox = await h.store.listOutbox(org.id);
      expect(outbox.map((o) => o.id)).toEqual(events.map((e) => e.id));
      expect(outbox[2]).toMatchObject({ type: 'member.deactivated', payload: { reason: 'left', target: { id: m.id } } });
      expect(await h.store.listAudit(org.id, { afterSeq: 2 })).toEqual([events[2]]);
    });

    it('when many writers append concurrently, then the chain stays contiguous and valid', async () => {
      const org = await h.newOrg();
      await Promise.all(Array.from({ length: 40 }, (_, i) => h.store.appendAudit(draft(org.id, 'test.event', `t${i}`))));
      const events = await h.store.listAudit(org.id);
      expect(events).toHaveLength(41);
      expect(verifyChain(events)).toMatchObject({ ok: true, head: { seq: 41 } });
    });

    it('when an org verification record is written again, then the latest replaces it, other orgs see none, and no audit event is written', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      expect(await h.store.getAuditVerification(org.id)).toBeUndefined();
      const before = (await h.store.listAudit(org.id)).length;
      const running: AuditVerification = { id: 'v1', orgId: org.id, status: 'running', requestedBy: { kind: 'portal', id: 'p1' }, startedAt: '2026-12-04T10:00:00.000Z', updatedAt: '2026-12-04T10:00:00.000Z', total: 5, checked: 0 };
      await h.store.putAuditVerification(running);
      expect(await h.store.getAuditVerification(org.id)).toEqual(running);
      const broken: AuditVerification = { ...running, status: 'broken', checked: 3, break: { seq: 4, reason: 'hash_mismatch', eventId: 'e4' }, head: { seq: 3, hash: 'a'.repeat(64) }, updatedAt: '2026-12-04T10:00:01.000Z', finishedAt: '2026-12-04T10:00:01.000Z' };
      await h.store.putAuditVerification(broken);
      expect(await h.store.getAuditVerification(org.id)).toEqual(broken);
      expect(await h.store.getAuditVerification(other.id)).toBeUndefined();
      expect(await h.store.listAudit(org.id)).toHaveLength(before);
    });

    it('when provider-level events are appended, then they form their own chain', async () => {
      const e = await h.store.appendAudit(draft(PROVIDER_SCOPE, 'admin_key.created', 'k1'));
      expect(e.seq).toBe(1);
      expect(verifyChain(await h.store.listAudit(PROVIDER_SCOPE)).ok).toBe(true);
    });
  });
}
