import { describe, expect, it } from '@jest/globals';
import { defaultReason, sourceOf, toStatusEvidence, transition } from '../../src/domain/member-status.js';
import type { Actor, Member } from '../../src/domain/model.js';
import { codeOfSync } from '../support/services.js';

const AT = '2026-03-01T00:00:00.000Z';
const admin: Actor = { kind: 'admin', id: 'key-1' };

function member(extra: Partial<Member> = {}): Member {
  return { id: 'm1', orgId: 'o1', userName: 'ada', name: {}, emails: [], role: 'member', status: 'active', managedBy: { kind: 'admin' }, identities: [], attributes: {}, createdAt: AT, updatedAt: AT, version: 1, ...extra };
}

const ctx = { writer: { kind: 'admin' as const }, actor: admin, reason: 'left the company', at: AT };

const codeOf = codeOfSync;

describe('status transitions', () => {
  it('when an active member is deactivated, then it records who, why and when; deactivating again changes nothing', () => {
    const next = transition(member(), 'inactive', ctx);
    expect(next).toMatchObject({ status: 'inactive', deactivation: { by: admin, reason: 'left the company', at: AT } });
    expect(transition(next!, 'inactive', ctx)).toBeNull();
  });

  it('when an inactive member is activated, then the deactivation record is dropped', () => {
    const next = transition(member({ status: 'inactive', deactivation: { by: admin, reason: 'x', at: AT } }), 'active', ctx);
    expect(next?.status).toBe('active');
    expect(next && 'deactivation' in next).toBe(false);
  });

  it('when a member is removed, then it is a tombstone that no transition changes again', () => {
    const removed = transition(member({ status: 'inactive' }), 'removed', ctx)!;
    expect(removed).toMatchObject({ status: 'removed', removedAt: AT });
    for (const to of ['active', 'inactive', 'removed'] as const) expect(codeOf(() => transition(removed, to, ctx))).toBe('member.removed');
  });

  it('when a directory deactivates a SCIM-managed member, then it is refused; an admin may', () => {
    const scimManaged = member({ managedBy: { kind: 'scim' } });
    expect(codeOf(() => transition(scimManaged, 'inactive', { ...ctx, writer: { kind: 'directory', connectionId: 'c1' } }))).toBe('member.managed_elsewhere');
    expect(codeOf(() => transition(scimManaged, 'inactive', ctx))).toBe('ok');
  });
});

describe('sources, reasons and evidence', () => {
  it('when the caller does not say, then the source is read from the actor (and the writer for system actors)', () => {
    expect(sourceOf({ kind: 'scim' })).toBe('scim');
    expect(sourceOf({ kind: 'directory', id: 'c1' })).toBe('reconcile');
    expect(sourceOf({ kind: 'cli' })).toBe('admin');
    expect(sourceOf({ kind: 'invite' })).toBe('join');
    expect(sourceOf({ kind: 'system' }, { kind: 'directory', connectionId: 'c1' })).toBe('reconcile');
    expect(sourceOf({ kind: 'system' })).toBe('admin');
  });

  it('when no reason is given, then each source has its own default', () => {
    expect(defaultReason('scim', 'member.deactivated')).toBe('deactivated by SCIM provisioning');
    expect(defaultReason('admin', 'member.activated')).toBe('activated by an administrator');
  });

  it('when evidence is typed it is kept; an untyped record is kept under the kind unclassified', () => {
    expect(toStatusEvidence({ kind: 'suspended', listing: 'suspended' })).toEqual({ kind: 'suspended', listing: 'suspended' });
    expect(toStatusEvidence({ missingRuns: 3 })).toEqual({ kind: 'unclassified', missingRuns: 3 });
    expect(toStatusEvidence(undefined)).toBeUndefined();
  });
});
