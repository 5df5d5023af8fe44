import { describe, expect, it } from '@jest/globals';
import { IdsyncError } from '../../domain/errors.js';
import { verifyChain } from '../../ports/audit-chain.js';
import { aConnection, aDelivery, anInvitation, anInviteLink, aRun, aWebhook, draft, NOW } from './fixtures.js';
import { codeOf, useStore, type StoreFactory } from './harness.js';
import { connectionStateConformance } from './suite-connection-state.js';
import { connectionConformance } from './suite-connections.js';
import { invitationConformance } from './suite-invitations.js';
import { signalConformance } from './suite-signals.js';
import { webhookConformance } from './suite-webhooks.js';

const refuse = () => {
  throw new IdsyncError('request.invalid', 'refused by the updater');
};

/**
 * The contract of the storage port's later areas (invitations, invite links, member identities,
 * directory connections, reconcile runs, webhooks, outbox cursors), run against every backend
 * like runStoreConformance.
 */
export function runExtensionConformance(name: string, factory: StoreFactory): void {
  describe(`store extension conformance: ${name}`, () => {
    const h = useStore(factory);

    invitationConformance(h);
    connectionConformance(h);
    connectionStateConformance(h);
    webhookConformance(h);
    signalConformance(h);

    describe('audit trail', () => {
      it('when audited changes succeed, then each appends exactly one audit event and outbox record; refused ones append nothing', async () => {
        const org = await h.newOrg();
        const { store } = h;
        const cap = { pendingCap: 1, now: NOW };
        const inv = anInvitation(org.id);
        const link = anInviteLink(org.id);
        const conn = aConnection(org.id);
        const ep = aWebhook(org.id);
        const audited = draft(org.id, 'x.changed', 'x');
        const appended = async (fn: () => Promise<unknown>) => h.auditDelta(org.id, fn);
        const change = <T>(cur: T) => ({ next: cur, audit: audited });

        // Each audited change: one event.
        expect(await appended(() => store.createInvitation(inv, audited, cap))).toBe(1);
        expect(await appended(() => store.updateInvitation(org.id, inv.id, change))).toBe(1);
        expect(await appended(() => store.createInviteLink(link, audited))).toBe(1);
        expect(await appended(() => store.updateInviteLink(org.id, link.id, change))).toBe(1);
        expect(await appended(() => store.createConnection(conn, audited))).toBe(1);
        expect(await appended(() => store.updateConnection(org.id, conn.id, change))).toBe(1);
        expect(await appended(() => store.createWebhook(ep, audited))).toBe(1);
        expect(await appended(() => store.updateWebhook(org.id, ep.id, change))).toBe(1);
        expect(await appended(() => store.deleteWebhook(org.id, ep.id, audited))).toBe(1);

        // Bookkeeping: no event.
        expect(await appended(() => store.saveConnectionState(org.id, conn.id, { health: 'healthy' }))).toBe(0);
        expect(await appended(() => store.createRun(aRun(conn)))).toBe(0);
        expect(await appended(() => store.saveDelivery(aDelivery(org.id, ep.id)))).toBe(0);
        expect(await appended(() => store.setOutboxCursor(org.id, 'webhooks', 3))).toBe(0);

        // Refused changes: no event.
        const refused: [string, () => Promise<unknown>][] = [
          ['invite.cap_reached', () => store.createInvitation(anInvitation(org.id), audited, cap)],
          ['invite.duplicate', () => store.createInvitation(anInvitation(org.id, { email: inv.email.toUpperCase() }), audited, { ...cap, pendingCap: 9 })],
          ['request.invalid', () => store.updateInvitation(org.id, inv.id, refuse)],
          ['version.mismatch', () => store.updateInviteLink(org.id, link.id, change, { ifVersion: 1 })],
          ['link.not_found', () => store.updateInviteLink(org.id, 'missing', change)],
          ['connection.not_found', () => store.deleteConnection(org.id, 'missing', audited)],
          ['request.invalid', () => store.updateConnection(org.id, conn.id, refuse)],
          ['webhook.not_found', () => store.deleteWebhook(org.id, ep.id, audited)],
        ];
        for (const [code, fn] of refused) {
          let outcome: string | undefined;
          expect(await appended(async () => (outcome = await codeOf(fn())))).toBe(0);
          expect(outcome).toBe(code);
        }

        expect(await appended(() => store.deleteConnection(org.id, conn.id, audited))).toBe(1);
        expect(verifyChain(await store.listAudit(org.id)).ok).toBe(true);
      });
    });
  });
}
