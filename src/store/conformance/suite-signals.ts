import { randomUUID } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { POLL_METHOD, PUSH_METHOD, type QueuedSet, type SignalStream, type SigningKey } from '../../domain/signals.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { draft, hoursFrom, NOW } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

export function aStream(scope: string, overrides: Partial<SignalStream> = {}): SignalStream {
  return {
    id: randomUUID(),
    scope,
    audience: ['https://receiver.example.com'],
    delivery: { method: PUSH_METHOD, endpointUrl: 'https://receiver.example.com/ssf', authorizationHeaderCiphertext: 'v1:sealed' },
    eventsRequested: [],
    eventsDelivered: [],
    status: 'enabled',
    excludedSubjects: [],
    createdAt: NOW,
    updatedAt: NOW,
    version: 1,
    ...overrides,
  };
}

export function aQueuedSet(streamId: string, overrides: Partial<QueuedSet> = {}): QueuedSet {
  return { streamId, jti: randomUUID(), orgId: 'org', jwt: 'e30.e30.sig', events: ['e'], status: 'pending', attempts: 0, nextAttemptAt: NOW, createdAt: NOW, updatedAt: NOW, ...overrides };
}

const aKey = (kid: string, createdAt: string): SigningKey => ({ kid, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: kid, y: kid }, privateCiphertext: `v1:${kid}`, createdAt });
const minutes = (n: number) => hoursFrom(NOW, n / 60);
const jtis = (xs: QueuedSet[]) => xs.map((x) => x.jti);

export function signalConformance(h: StoreHarness): void {
  describe('shared signals', () => {
    it('when streams are created, updated and deleted in an org and the provider scope, then reads follow and each change is audited in its scope', async () => {
      const org = await h.newOrg();
      const a = aStream(org.id);
      const p = aStream(PROVIDER_SCOPE, { delivery: { method: POLL_METHOD } });
      expect(await h.auditDelta(org.id, () => h.store.createSignalStream(a, draft(org.id, 'signals.stream_created', a.id)))).toBe(1);
      expect(await h.auditDelta(PROVIDER_SCOPE, () => h.store.createSignalStream(p, draft(PROVIDER_SCOPE, 'signals.stream_created', p.id)))).toBe(1);
      expect(await h.store.getSignalStream(a.id)).toEqual(a);
      expect((await h.store.listSignalStreams()).map((s) => s.id)).toEqual([a.id, p.id]);
      expect((await h.store.listSignalStreams(org.id)).map((s) => s.id)).toEqual([a.id]);
      expect((await h.store.listSignalStreams(PROVIDER_SCOPE)).map((s) => s.id)).toEqual([p.id]);

      const pause = (cur: SignalStream) => ({ next: { ...cur, status: 'paused' as const }, audit: draft(cur.scope, 'signals.stream_updated', cur.id) });
      expect(await h.store.updateSignalStream(a.id, pause)).toMatchObject({ changed: true, record: { status: 'paused', version: 2 } });
      expect(await codeOf(h.store.updateSignalStream(a.id, pause, { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.updateSignalStream('nope', pause))).toBe('signals.stream_not_found');

      await h.store.enqueueSet(aQueuedSet(a.id));
      expect(await h.auditDelta(org.id, () => h.store.deleteSignalStream(a.id, draft(org.id, 'signals.stream_deleted', a.id)))).toBe(1);
      expect(await h.store.getSignalStream(a.id)).toBeUndefined();
      expect(await h.store.listPendingSets(a.id, 10)).toEqual([]);
      expect(await h.store.listDueSets(NOW, 10)).toEqual([]);
      expect((await h.store.listSignalStreams()).map((s) => s.id)).toEqual([p.id]);
      expect(await codeOf(h.store.deleteSignalStream(a.id, draft(org.id, 'signals.stream_deleted', a.id)))).toBe('signals.stream_not_found');
      expect(await codeOf(h.store.createSignalStream(aStream('no-such-org'), draft('no-such-org', 'signals.stream_created', 'x')))).toBe('org.not_found');
      expect(await h.store.listSignalStreams('no-such-org')).toEqual([]);
    });

    it('when keys are added with two kept live, then the newest two remain, newest first', async () => {
      expect(await h.store.listSigningKeys()).toEqual([]);
      await h.store.addSigningKey(aKey('k1', minutes(0)), 2);
      await h.store.addSigningKey(aKey('k2', minutes(1)), 2);
      const live = await h.store.addSigningKey(aKey('k3', minutes(2)), 2);
      expect(live.map((k) => k.kid)).toEqual(['k3', 'k2']);
      expect((await h.store.listSigningKeys()).map((k) => k.kid)).toEqual(['k3', 'k2']);
      expect((await h.store.listSigningKeys())[0]).toEqual(aKey('k3', minutes(2)));
    });

    it('when SETs are queued, saved and acknowledged, then poll order, due order and jti uniqueness hold', async () => {
      const org = await h.newOrg();
      const s = aStream(org.id);
      await h.store.createSignalStream(s, draft(org.id, 'signals.stream_created', s.id));
      const one = aQueuedSet(s.id, { nextAttemptAt: minutes(5) });
      const two = aQueuedSet(s.id, { nextAttemptAt: minutes(1) });
      const poll = aQueuedSet(s.id, { nextAttemptAt: undefined });
      expect(await h.store.enqueueSet(one)).toBe(true);
      expect(await h.store.enqueueSet(two)).toBe(true);
      expect(await h.store.enqueueSet(poll)).toBe(true);
      expect(await h.store.enqueueSet({ ...one, jwt: 'other' })).toBe(false);
      expect(jtis(await h.store.listPendingSets(s.id, 10))).toEqual([one.jti, two.jti, poll.jti]);
      expect(jtis(await h.store.listPendingSets(s.id, 2))).toEqual([one.jti, two.jti]);
      expect(await h.store.countPendingSets(s.id)).toBe(3);
      expect(jtis(await h.store.listDueSets(minutes(10), 10))).toEqual([two.jti, one.jti]);
      expect(jtis(await h.store.listDueSets(minutes(2), 10))).toEqual([two.jti]);
      expect((await h.store.listPendingSets(s.id, 10))[0]).toEqual(one);

      await h.store.saveSet({ ...two, attempts: 1, nextAttemptAt: minutes(20) });
      expect(jtis(await h.store.listDueSets(minutes(10), 10))).toEqual([one.jti]);
      await h.store.saveSet({ ...one, status: 'failed', attempts: 8, nextAttemptAt: undefined });
      expect(jtis(await h.store.listDueSets(minutes(30), 10))).toEqual([two.jti]);
      expect(jtis(await h.store.listPendingSets(s.id, 10))).toEqual([two.jti, poll.jti]);

      expect(await h.store.ackSets(s.id, [two.jti, two.jti, 'unknown'])).toBe(1);
      expect(await h.store.ackSets(s.id, [two.jti])).toBe(0);
      expect(jtis(await h.store.listPendingSets(s.id, 10))).toEqual([poll.jti]);
      expect(await h.store.listDueSets(minutes(30), 10)).toEqual([]);
      // A repeated fan-out of a change already delivered queues nothing.
      expect(await h.store.enqueueSet({ ...two, attempts: 0 })).toBe(false);
      expect(jtis(await h.store.listPendingSets(s.id, 10))).toEqual([poll.jti]);
      expect(await h.store.ackSets(s.id, [])).toBe(0);
      expect(await h.store.countPendingSets(s.id)).toBe(1);
      // Done SETs (one delivered, one failed) are forgotten by the sweep, or expire by themselves (then the sweep reports 0).
      const forgotten = await h.store.forgetDoneSets(hoursFrom(new Date().toISOString(), 1));
      if (forgotten === 0) expect(await h.store.enqueueSet({ ...two, attempts: 0 })).toBe(false);
      else {
        expect(forgotten).toBe(2);
        expect(await h.store.enqueueSet({ ...two, attempts: 0 })).toBe(true);
      }
    });
  });
}
