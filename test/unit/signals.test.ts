import { describe, expect, it } from '@jest/globals';
import type { OutboxRecord } from '../../src/domain/model.js';
import { POLL_METHOD, PUSH_METHOD } from '../../src/domain/signals.js';
import { CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_ENABLED, RISC_ACCOUNT_PURGED, setsForRecord, streamWants } from '../../src/services/signals/set.js';
import { subjectKeys } from '../../src/services/signals/streams.js';
import { aStream } from '../../src/store/conformance/suite-signals.js';
import { createServices } from '../../src/services/index.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { code, steppingClock } from '../support/services.js';

const rec = (type: string, payload: Record<string, unknown>): OutboxRecord => ({ id: 'evt-1', orgId: 'org-1', seq: 7, type, createdAt: '2026-03-01T00:00:10.000Z', payload });
const member = (extra: Record<string, unknown> = {}) => ({ target: { type: 'member', id: 'm-1' }, actor: { kind: 'scim' }, after: { emails: ['Ada@Example.com'] }, ...extra });

describe('SETs from outbox records', () => {
  it('when a member is deactivated, removed or reactivated, then the CAEP and RISC events are one SET each with a stable jti', () => {
    expect(setsForRecord(rec('member.deactivated', member({ source: 'scim' }))).map((d) => [d.event, d.jti])).toEqual([
      [CAEP_SESSION_REVOKED, 'evt-1.session-revoked'],
      [RISC_ACCOUNT_DISABLED, 'evt-1.account-disabled'],
    ]);
    expect(setsForRecord(rec('member.removed', member())).map((d) => d.event)).toEqual([CAEP_SESSION_REVOKED, RISC_ACCOUNT_PURGED]);
    expect(setsForRecord(rec('member.activated', member())).map((d) => d.event)).toEqual([RISC_ACCOUNT_ENABLED]);
    expect(setsForRecord(rec('member.created', member()))).toEqual([]);
    expect(setsForRecord(rec('member.deactivated', { target: { type: 'team', id: 't' } }))).toEqual([]);
  });

  it('when a SET is drafted, then its subject is complex (user aliases email + opaque id, tenant) and its event names the initiator and reason', () => {
    const [d] = setsForRecord(rec('member.deactivated', member({ source: 'reconcile', reason: 'suspended in the directory', after: undefined, before: { emails: ['gone@example.com'] } })));
    expect(d!.claims).toEqual({
      sub_id: { format: 'complex', user: { format: 'aliases', identifiers: [{ format: 'email', email: 'gone@example.com' }, { format: 'opaque', id: 'm-1' }] }, tenant: { format: 'opaque', id: 'org-1' } },
      txn: 'evt-1',
      events: { [CAEP_SESSION_REVOKED]: { event_timestamp: 1772323210, initiating_entity: 'policy', reason_admin: { en: 'suspended in the directory (source: reconcile)' } } },
    });
    const initiators = ['admin', 'console', 'join', 'scim', 'notification'].map((source) => (setsForRecord(rec('member.activated', member({ source })))[0]!.claims.events[RISC_ACCOUNT_ENABLED] as { initiating_entity: string }).initiating_entity);
    expect(initiators).toEqual(['admin', 'admin', 'user', 'system', 'policy']);
  });

  it('when a stream filters by scope, event and removed subjects, then only what it carries passes', () => {
    const [revoked, disabled] = setsForRecord(rec('member.deactivated', member()));
    expect(streamWants(aStream('org-1', { eventsDelivered: [CAEP_SESSION_REVOKED] }), revoked!)).toBe(true);
    expect(streamWants(aStream('org-1', { eventsDelivered: [CAEP_SESSION_REVOKED] }), disabled!)).toBe(false);
    expect(streamWants(aStream('org-2', { eventsDelivered: [CAEP_SESSION_REVOKED] }), revoked!)).toBe(false);
    expect(streamWants(aStream('provider', { eventsDelivered: [CAEP_SESSION_REVOKED] }), revoked!)).toBe(true);
    expect(streamWants(aStream('org-1', { eventsDelivered: [CAEP_SESSION_REVOKED], excludedSubjects: ['email:ada@example.com'] }), revoked!)).toBe(false);
    expect(streamWants(aStream('org-1', { eventsDelivered: [CAEP_SESSION_REVOKED], excludedSubjects: ['opaque:m-1'] }), revoked!)).toBe(false);
  });

  it('when subjects are given in RFC 9493 formats, then email and opaque ids are found alone, in aliases and as a complex user', () => {
    expect(subjectKeys({ format: 'email', email: 'A@B.example' })).toEqual(['email:a@b.example']);
    expect(subjectKeys({ format: 'opaque', id: 'x' })).toEqual(['opaque:x']);
    expect(subjectKeys({ format: 'aliases', identifiers: [{ format: 'email', email: 'a@b' }, { format: 'opaque', id: 'x' }, { format: 'phone_number', phone_number: '+1' }] })).toEqual(['email:a@b', 'opaque:x']);
    expect(subjectKeys({ format: 'complex', user: { format: 'email', email: 'a@b' }, tenant: { format: 'opaque', id: 'o' } })).toEqual(['email:a@b']);
    expect(subjectKeys({ format: 'iss_sub', iss: 'i', sub: 's' })).toEqual([]);
  });
});

describe('stream destinations', () => {
  it('when private networks are not allowed, then a push endpoint on an internal address or plain http is refused at creation', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    const { signals } = createServices({ store, clock: steppingClock(), logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9), publicUrl: 'https://idsync.test' });
    const p = { kind: 'provider' as const, actor: { kind: 'admin' as const, id: 'k' } };
    try {
      const push = (endpoint_url: string) => signals.create(p, { delivery: { method: PUSH_METHOD, endpoint_url } });
      expect(await code(push('https://10.0.0.5/events'))).toBe('request.invalid');
      expect(await code(push('https://169.254.169.254/latest'))).toBe('request.invalid');
      expect(await code(push('http://receiver.example/events'))).toBe('request.invalid');
      expect(await code(signals.create(p, { delivery: { method: PUSH_METHOD } }))).toBe('request.invalid');
      const ok = await signals.create(p, { delivery: { method: PUSH_METHOD, endpoint_url: 'https://receiver.example/events' } });
      expect(ok).toMatchObject({ aud: 'https://receiver.example', iss: 'https://idsync.test' });
      const poll = await signals.create(p, { delivery: { method: POLL_METHOD } });
      expect(poll.delivery.endpoint_url).toBe(`https://idsync.test/ssf/poll/${poll.stream_id}`);
    } finally {
      store.close();
    }
  });
});
