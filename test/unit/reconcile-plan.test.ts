import { describe, expect, it } from '@jest/globals';
import type { Member } from '../../src/domain/model.js';
import { missingLinkedMembers, planReconcile, type DirectoryEntry, type PlanInput, type PlanPolicy } from '../../src/domain/reconcile-plan.js';
import { aMember } from '../../src/store/conformance/fixtures.js';

const CONN = 'conn-1';
const policy: PlanPolicy = {
  matchByEmail: true,
  domains: [],
  deactivateSuspended: true,
  deactivateMissing: true,
  confirmMissingRuns: 2,
  reactivate: 'ifDeactivatedByReconciler',
  maxDeactivations: 10,
  maxDeactivationPercent: 50,
  exempt: [],
  autoInvite: false,
};

const user = (i: number, state: DirectoryEntry['state'] = 'active'): DirectoryEntry => ({ id: `d${i}`, primaryEmail: `u${i}@corp.example`, emails: [`u${i}@corp.example`], state });
const linked = (i: number, extra: Partial<Member> = {}) =>
  aMember('org', { id: `m${i}`, userName: `u${i}@corp.example`, emails: [{ value: `u${i}@corp.example` }], identities: [{ provider: 'google', subject: `d${i}` }], ...extra });

function input(members: Member[], users: DirectoryEntry[], over: Partial<PlanInput> = {}): PlanInput {
  return { connectionId: CONN, provider: 'google', members, listing: { users, complete: true }, policy, history: { missing: {} }, ...over };
}
const kinds = (p: ReturnType<typeof planReconcile>) => p.actions.map((a) => [a.kind, a.memberId ?? a.email, !!a.heldBy]);

describe('reconcile planner', () => {
  it('when a linked user is suspended or deleted upstream, then the member is deactivated with the evidence', () => {
    const p = planReconcile(input([linked(1), linked(2), linked(3)], [user(1, 'suspended'), user(2, 'deleted'), user(3)], { policy: { ...policy, maxDeactivationPercent: 100 } }));
    expect(kinds(p)).toEqual([
      ['deactivate', 'm1', false],
      ['deactivate', 'm2', false],
    ]);
    expect(p.actions[0]).toMatchObject({ reason: 'suspended in the directory', evidence: { kind: 'suspended', match: 'identity', directoryId: 'd1' } });
    expect(p.status).toBe('completed');
  });

  it('when a linked member is missing, then a confirming lookup or enough consecutive complete runs is needed', () => {
    const members = [linked(1), linked(2), linked(3)];
    const users = [user(3)];
    expect(missingLinkedMembers(input(members, users))).toEqual([
      { memberId: 'm1', directoryId: 'd1' },
      { memberId: 'm2', directoryId: 'd2' },
    ]);
    const first = planReconcile(input(members, users, { lookups: { m1: 'deleted', m2: 'error' } }));
    expect(kinds(first)).toEqual([['deactivate', 'm1', false]]);
    expect(first.actions[0]?.evidence).toEqual({ kind: 'confirmedByLookup', directoryId: 'd1', match: 'identity', missingRuns: 1 });
    expect(first.nextMissing).toEqual({ m1: 1, m2: 1 });
    const second = planReconcile(input(members, users, { lookups: { m2: 'error' }, history: { missing: first.nextMissing } }));
    expect(second.actions.find((a) => a.memberId === 'm2')).toMatchObject({ kind: 'deactivate', reason: 'missing from 2 consecutive complete listings', evidence: { kind: 'missingRuns', missingRuns: 2, lookup: 'error' } });
    const present = planReconcile(input(members, users, { lookups: { m1: 'present', m2: 'present' }, history: { missing: { m1: 5, m2: 5 } } }));
    expect(present.actions.filter((a) => a.kind === 'deactivate')).toEqual([]);
  });

  it('when a member has two accounts at the provider and only the second is in the directory, then the member is present, not missing', () => {
    // Identity links append (a personal sign-in first, the directory account later): any listed account counts.
    const twoAccounts = linked(1, { identities: [{ provider: 'google', subject: 'personal-1' }, { provider: 'google', subject: 'd1' }] });
    const members = [twoAccounts, linked(2), linked(3), linked(4)];
    const users = [user(1), user(2), user(3), user(4)];
    expect(missingLinkedMembers(input(members, users))).toEqual([]);
    const p = planReconcile(input(members, users, { lookups: { m1: 'deleted' }, history: { missing: { m1: 3 } } }));
    expect(p.actions.filter((a) => a.kind === 'deactivate')).toEqual([]);
    expect(p.nextMissing).toEqual({});
    const suspended = planReconcile(input(members, [user(1, 'suspended'), user(2), user(3), user(4)], { policy: { ...policy, maxDeactivationPercent: 100 } }));
    expect(suspended.actions.find((a) => a.memberId === 'm1')).toMatchObject({ kind: 'deactivate', evidence: { kind: 'suspended', directoryId: 'd1' } });
  });

  it('when the listing is incomplete, then nobody is deactivated and missing counters stay as they were', () => {
    const p = planReconcile(input([linked(1), linked(2)], [user(1, 'suspended')], { listing: { users: [user(1, 'suspended')], complete: false }, history: { missing: { m2: 1 } } }));
    expect(p.status).toBe('incomplete');
    expect(p.actions.filter((a) => a.kind === 'deactivate' && !a.heldBy)).toEqual([]);
    expect(p.guards[0]).toMatchObject({ guard: 'listing_complete', passed: false });
    expect(p.nextMissing).toEqual({ m2: 1 });
  });

  it('when an empty or shrunken listing arrives, then every deactivation is held', () => {
    const members = Array.from({ length: 20 }, (_, i) => linked(i));
    const empty = planReconcile(input(members, [], { history: { missing: {}, lastCompleteSize: 20 }, lookups: Object.fromEntries(members.map((m) => [m.id, 'deleted'])) }));
    expect(empty.status).toBe('held');
    expect(empty.actions.every((a) => a.kind !== 'deactivate' || a.heldBy)).toBe(true);
    expect(empty.guards.find((g) => g.guard === 'size_drop')).toMatchObject({ passed: false });
  });

  it('when the last complete listing was itself empty, then a listing most linked members are missing from is still held', () => {
    const members = Array.from({ length: 20 }, (_, i) => linked(i));
    const again = planReconcile(input(members, [user(0)], { history: { missing: Object.fromEntries(members.map((m) => [m.id, 1])), lastCompleteSize: 0 }, lookups: {} }));
    expect(again.status).toBe('held');
    expect(again.actions.filter((a) => a.kind === 'deactivate' && !a.heldBy)).toEqual([]);
    expect(again.guards.find((g) => g.guard === 'size_drop')).toMatchObject({ passed: false, detail: expect.stringContaining('19 of 20 linked members missing') });
    const few = planReconcile(input(members, members.slice(0, 17).map((_, i) => user(i)), { history: { missing: {}, lastCompleteSize: 20 }, lookups: { m17: 'deleted', m18: 'deleted', m19: 'deleted' } }));
    expect(few.guards.find((g) => g.guard === 'size_drop')?.passed).toBe(true);
    expect(few.counters.deactivate).toBe(3);
  });

  it('when deactivations exceed the budget, then the excess is held, explicit evidence first', () => {
    const members = Array.from({ length: 40 }, (_, i) => linked(i));
    const users = members.map((_, i) => user(i, i < 6 ? 'suspended' : 'active'));
    const p = planReconcile(input(members, users, { policy: { ...policy, maxDeactivations: 4 } }));
    expect(p.counters).toMatchObject({ deactivate: 4, held: 2 });
    expect(p.status).toBe('held');
    const pct = planReconcile(input(members, users, { policy: { ...policy, maxDeactivationPercent: 5 } }));
    expect(pct.counters).toMatchObject({ deactivate: 2, held: 4 });
    expect(pct.guards.find((g) => g.guard === 'deactivation_budget')?.detail).toContain('5% of 40 = 2');
  });

  it('when owners, exempt members or SCIM-managed members are involved, then they are protected or only reported', () => {
    const owner = linked(1, { role: 'owner' });
    const exempt = linked(2);
    const scim = linked(3, { managedBy: { kind: 'scim' } });
    const other = linked(4, { managedBy: { kind: 'directory', connectionId: 'another' } });
    const p = planReconcile(input([owner, exempt, scim, other], [user(1, 'suspended'), user(2, 'suspended'), user(3, 'suspended'), user(4, 'suspended')], { policy: { ...policy, exempt: ['U2@corp.example'] } }));
    expect(kinds(p)).toEqual([
      ['protected', 'm1', false],
      ['protected', 'm2', false],
      ['drift', 'm3', false],
    ]);
  });

  it('when a deactivated member is active upstream again, then only the reconciler’s own deactivations are undone', () => {
    const mine = linked(1, { status: 'inactive', deactivation: { by: { kind: 'directory', id: CONN }, reason: 'suspended', at: 'x' } });
    const admins = linked(2, { status: 'inactive', deactivation: { by: { kind: 'admin' }, reason: 'fired', at: 'x' } });
    expect(kinds(planReconcile(input([mine, admins], [user(1), user(2)])))).toEqual([['reactivate', 'm1', false]]);
    expect(planReconcile(input([mine], [user(1)], { policy: { ...policy, reactivate: 'never' } })).actions).toEqual([]);
  });

  it('when members match by externalId or by email within the domains, then they are linked; other domains never match', () => {
    const byExt = aMember('org', { id: 'e', externalId: 'd1', emails: [{ value: 'x@else.example' }] });
    const byMail = aMember('org', { id: 'f', emails: [{ value: 'U2@corp.example' }] });
    const outside = aMember('org', { id: 'g', emails: [{ value: 'u3@gmail.com' }] });
    const users = [user(1), user(2), { id: 'd3', primaryEmail: 'u3@corp.example', emails: ['u3@gmail.com'], state: 'suspended' as const }];
    const p = planReconcile(input([byExt, byMail, outside], users));
    expect(kinds(p)).toEqual([
      ['link', 'e', false],
      ['link', 'f', false],
    ]);
    expect(p.actions[1]).toMatchObject({ reason: 'matched by email' });
    expect(planReconcile(input([byMail], users, { policy: { ...policy, matchByEmail: false } })).actions).toEqual([]);
  });

  it('when auto-invite is on, then active in-domain users who are not members are invited once', () => {
    const p = planReconcile(input([linked(1)], [user(1), user(2), user(3), user(4, 'suspended')], { policy: { ...policy, autoInvite: true }, pendingInvites: ['U3@corp.example'] }));
    expect(kinds(p)).toEqual([['invite', 'u2@corp.example', false]]);
  });

  describe('evidence strength', () => {
    // m1 missing for 3 runs (lookup failed), m2 suspended, m3 missing and a lookup confirms deletion,
    // m4 deleted in the listing, m5 missing for 2 runs: every kind, in an order unlike the strength order.
    const members = Array.from({ length: 30 }, (_, i) => linked(i));
    const states: Record<number, DirectoryEntry['state']> = { 2: 'suspended', 4: 'deleted', 6: 'deleted' };
    const users = members.map((_, i) => i).filter((i) => i !== 1 && i !== 3 && i !== 5).map((i) => user(i, states[i] ?? 'active'));
    const mixed = (over: Partial<PlanInput> = {}) =>
      input(members, users, { policy: { ...policy, maxDeactivations: 0 }, history: { missing: { m1: 2, m5: 1 } }, lookups: { m1: 'error', m3: 'deleted', m5: 'error' }, ...over });

    it('when more deactivations than the budget are due, then the strongest evidence goes first whatever the member order', () => {
      const p = planReconcile(mixed({ policy: { ...policy, maxDeactivations: 3 } }));
      const applied = p.actions.filter((a) => a.kind === 'deactivate' && !a.heldBy).map((a) => [a.memberId, a.evidence.kind]);
      expect(applied).toEqual([
        ['m3', 'confirmedByLookup'],
        ['m4', 'deleted'],
        ['m6', 'deleted'],
      ]);
      expect(p.actions.filter((a) => a.heldBy).map((a) => a.memberId)).toEqual(['m1', 'm2', 'm5']);
    });

    it('when an approval releases 2 of the held deactivations, then the lookup-confirmed and the first listed deletion go, the rest stay held', () => {
      const held = planReconcile(mixed());
      expect(held.counters).toMatchObject({ deactivate: 0, held: 6 });
      const approved = planReconcile(mixed({ approval: { release: 2 } }));
      const released = approved.actions.filter((a) => a.kind === 'deactivate' && !a.heldBy);
      expect(released.map((a) => [a.memberId, a.evidence.kind, a.kind === 'deactivate' && a.releasedByApproval])).toEqual([
        ['m3', 'confirmedByLookup', true],
        ['m4', 'deleted', true],
      ]);
      expect(approved.status).toBe('held');
      // Then the suspension, then absence alone, the longest missing first.
      const more = planReconcile(mixed({ approval: { release: 5 } }));
      expect(more.actions.filter((a) => a.heldBy).map((a) => a.memberId)).toEqual(['m5']);
    });

    it('when a deleted user was also confirmed by a point lookup, then it ranks with lookup confirmations, ahead of a listing-only deletion', () => {
      const p = planReconcile(mixed({ confirmedRemovals: new Set(['d6']), approval: { release: 2 } }));
      expect(p.actions.find((a) => a.memberId === 'm6')).toMatchObject({ evidence: { kind: 'deleted', confirmedByLookup: true }, releasedByApproval: true });
      expect(p.actions.find((a) => a.memberId === 'm4')).toMatchObject({ evidence: { kind: 'deleted', confirmedByLookup: false }, heldBy: 'deactivation_budget' });
    });
  });

  it('when a plan is returned, then it is frozen: nothing downstream can edit it', () => {
    const p = planReconcile(input([linked(1), linked(2)], [user(1, 'suspended'), user(2)], { policy: { ...policy, maxDeactivationPercent: 100 } }));
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.actions[0])).toBe(true);
    expect(Object.isFrozen(p.actions[0]!.evidence)).toBe(true);
    expect(() => (p.actions as unknown as unknown[]).push({})).toThrow(TypeError);
  });

  it('when a full listing trips the size guard with nobody to deactivate, then the plan is held, and an approval accepts it', () => {
    // Every linked member is found by lookup, so nothing is to be deactivated; the listing is still implausible.
    const members = Array.from({ length: 20 }, (_, i) => linked(i));
    const lookups = Object.fromEntries(members.map((m) => [m.id, 'present' as const]));
    const empty = planReconcile(input(members, [], { history: { missing: {}, lastCompleteSize: 1200 }, lookups }));
    expect(empty.actions).toEqual([]);
    expect(empty.status).toBe('held');
    expect(empty.guards.find((g) => g.guard === 'size_drop')).toMatchObject({ passed: false, detail: expect.stringContaining('0 users now, 1200 in the last complete listing') });
    expect(planReconcile(input(members, [], { history: { missing: {}, lastCompleteSize: 1200 }, lookups, approval: { release: 0 } })).status).toBe('completed');
  });
});
