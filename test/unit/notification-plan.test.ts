import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import type { Member } from '../../src/domain/model.js';
import { notificationWindowBudget, planNotification, type NotificationPlanInput } from '../../src/domain/reconcile-notification.js';
import type { DirectoryEntry, PlanPolicy } from '../../src/domain/reconcile-plan.js';
import { githubHint, githubSignatureValid, graphHint, graphLifecycle, sameSecret } from '../../src/services/notifications/messages.js';
import { aMember } from '../../src/store/conformance/fixtures.js';

const CONN = 'conn-1';
const policy: PlanPolicy = { matchByEmail: true, domains: [], deactivateSuspended: true, deactivateMissing: true, confirmMissingRuns: 2, reactivate: 'ifDeactivatedByReconciler', maxDeactivations: 10, maxDeactivationPercent: 5, exempt: [], autoInvite: true };
const user = (i: number, state: DirectoryEntry['state'] = 'active'): DirectoryEntry => ({ id: `d${i}`, primaryEmail: `u${i}@corp.example`, emails: [`u${i}@corp.example`], state });
const linked = (i: number, extra: Partial<Member> = {}) => aMember('org', { id: `m${i}`, userName: `u${i}@corp.example`, emails: [{ value: `u${i}@corp.example` }], identities: [{ provider: 'github', subject: `d${i}` }], ...extra });
const plan = (members: Member[], lookup: NotificationPlanInput['lookup'], over: Partial<NotificationPlanInput> = {}) => planNotification({ connectionId: CONN, provider: 'github', members, policy, lookup, budgetLeft: 1, ...over });
const kinds = (p: ReturnType<typeof planNotification>) => p.actions.map((a) => [a.kind, a.memberId ?? a.email, a.heldBy ?? null]);

describe('planning for one notification', () => {
  const members = Array.from({ length: 5 }, (_, i) => linked(i));

  it('when the lookup finds the user gone, then only that member is deactivated, on lookup-confirmed evidence', () => {
    const p = plan(members, { kind: 'gone', directoryId: 'd2' });
    expect(kinds(p)).toEqual([['deactivate', 'm2', null]]);
    expect(p.actions[0]).toMatchObject({ evidence: { kind: 'deleted', confirmedByLookup: true, directoryId: 'd2' } });
  });

  it('when the lookup says active, then nothing is planned, and no one else is missing or invited', () => {
    expect(plan(members, { kind: 'user', user: user(3) }).actions).toEqual([]);
    expect(plan(members, { kind: 'user', user: user(99) }).actions).toEqual([]);
  });

  it('when the window has no budget left, then the deactivation is held by the budget guard', () => {
    expect(kinds(plan(members, { kind: 'user', user: user(1, 'suspended') }, { budgetLeft: 0 }))).toEqual([['deactivate', 'm1', 'deactivation_budget']]);
  });

  it('when the member is an owner, exempt, SCIM-managed or another connection\'s, then the run\'s rules hold: protected, drift, or untouched', () => {
    const owner = linked(1, { role: 'owner' });
    const scim = linked(2, { managedBy: { kind: 'scim' } });
    const other = linked(3, { managedBy: { kind: 'directory', connectionId: 'conn-2' } });
    expect(kinds(plan([owner], { kind: 'gone', directoryId: 'd1' }))).toEqual([['protected', 'm1', null]]);
    expect(kinds(plan([linked(4)], { kind: 'gone', directoryId: 'd4' }, { policy: { ...policy, exempt: ['u4@corp.example'] } }))).toEqual([['protected', 'm4', null]]);
    expect(kinds(plan([scim], { kind: 'user', user: user(2, 'suspended') }))).toEqual([['drift', 'm2', null]]);
    expect(plan([other], { kind: 'gone', directoryId: 'd3' }).actions).toEqual([]);
  });

  it('when the window budget is computed, then it is the run\'s: the smaller of maxDeactivations and the percentage of the members governed at the window\'s start (at least 1)', () => {
    const start = '2026-03-01T00:00:00.000Z';
    const hundred = Array.from({ length: 100 }, (_, i) => linked(i));
    expect(notificationWindowBudget({ maxDeactivations: 10, maxDeactivationPercent: 5 }, hundred, start)).toBe(5);
    expect(notificationWindowBudget({ maxDeactivations: 10, maxDeactivationPercent: 5 }, members, start)).toBe(1);
    expect(notificationWindowBudget({ maxDeactivations: 0, maxDeactivationPercent: 100 }, members, start)).toBe(0);
    // Members the window itself deactivated still count in the base; older deactivations do not.
    const by = { kind: 'directory' as const, id: CONN, label: 'github directory' };
    const gone = (i: number, at: string) => linked(i, { status: 'inactive', deactivation: { by, reason: 'deleted', at } });
    const mixed = [...hundred.slice(0, 60), ...Array.from({ length: 40 }, (_, k) => gone(60 + k, k < 20 ? '2026-03-01T00:30:00.000Z' : '2026-02-01T00:00:00.000Z'))];
    expect(notificationWindowBudget({ maxDeactivations: 1000, maxDeactivationPercent: 50 }, mixed, start)).toBe(40);
  });
});

describe('reading notifications', () => {
  it('when a GitHub body is signed with the secret, then only that exact body and secret verify', () => {
    const body = Buffer.from('{"action":"member_removed"}');
    const sig = `sha256=${createHmac('sha256', 'secret-secret-1234').update(body).digest('hex')}`;
    expect(githubSignatureValid(body, sig, 'secret-secret-1234')).toBe(true);
    expect(githubSignatureValid(body, sig, 'secret-secret-1235')).toBe(false);
    expect(githubSignatureValid(Buffer.from('{"action":"member_added"}'), sig, 'secret-secret-1234')).toBe(false);
    expect(githubSignatureValid(body, sig.replace('sha256=', 'sha1='), 'secret-secret-1234')).toBe(false);
    expect(githubSignatureValid(body, undefined, 'secret-secret-1234')).toBe(false);
  });

  it('when GitHub events name a user, then the hint carries the user id and the delivery; other events and actions give none', () => {
    expect(githubHint('organization', 'dlv', { action: 'member_removed', membership: { user: { id: 42 } } })).toEqual({ directoryId: '42', change: 'organization.member_removed', ids: ['dlv'] });
    expect(githubHint('organization', 'dlv', { action: 'member_invited', user: { id: 43 } })).toMatchObject({ directoryId: '43' });
    expect(githubHint('membership', 'dlv', { action: 'removed', member: { id: 44 } })).toMatchObject({ directoryId: '44', change: 'membership.removed' });
    expect(githubHint('organization', 'dlv', { action: 'renamed' })).toBeUndefined();
    expect(githubHint('push', 'dlv', { action: 'member_removed', membership: { user: { id: 1 } } })).toBeUndefined();
  });

  it('when a Graph item is read, then the user id comes from resourceData or resource, lifecycle events are told apart, and an item without Graph\'s id is named by its digest', () => {
    const id = '00000000-0000-4000-8000-000000000001';
    expect(graphHint({ subscriptionId: 's', resource: `Users/${id}`, changeType: 'deleted' })).toMatchObject({ directoryId: id, change: 'deleted', ids: ['s', expect.stringMatching(/^[0-9a-f]{24}$/)] });
    expect(graphHint({ subscriptionId: 's', id: 'n1', resourceData: { id } })).toEqual({ directoryId: id, change: 'updated', ids: ['s', 'n1'] });
    expect(graphHint({ subscriptionId: 's', resource: 'Users/not-a-guid' })).toBeUndefined();
    expect(graphLifecycle({ subscriptionId: 's', lifecycleEvent: 'missed' })).toBe('missed');
    expect(graphLifecycle({ subscriptionId: 's', lifecycleEvent: 'other' })).toBeUndefined();
  });

  it('when secrets are compared, then equal ones match and any difference (length too) does not', () => {
    expect(sameSecret('abc', 'abc')).toBe(true);
    expect(sameSecret('abc', 'abd')).toBe(false);
    expect(sameSecret('abc', 'abcd')).toBe(false);
  });
});
