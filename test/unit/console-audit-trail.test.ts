import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/domain/model.js';
import type { Principal } from '../../src/services/authz.js';
import { adjustableClock, code, memoryServices } from '../support/services.js';

const admin: Actor = { kind: 'admin', id: 'key-1', label: 'setup' };
const scim: Actor = { kind: 'scim', id: 'tok-1', label: 'okta' };

describe('the console audit trail (newest first, filters, date range, paging)', () => {
  let env: ReturnType<typeof memoryServices>;
    let orgId: string;
  let owner: Principal;

  beforeEach(async () => {
    env = memoryServices({ clock: adjustableClock() });
    orgId = (await env.services.orgs.create({ name: 'Acme' }, admin)).id;
    owner = { kind: 'org', orgId, role: 'owner', actor: { kind: 'portal', id: 'p1' }, source: 'console' };
  });
  afterEach(() => env.close());

  /** Appends n events of one action and actor, one second apart (the clock steps on each read). */
  const append = async (n: number, action: string, actor: Actor) => {
    for (let i = 0; i < n; i += 1) await env.store.appendAudit({ orgId, actor, action, target: { type: 'test', id: `${action}-${i}` } });
  };

  it('when the trail is longer than the first probe, then the first page is its newest events and pages continue without gap or repeat', async () => {
    await append(1400, 'team.created', admin);
    const total = (await env.store.listAudit(orgId, { limit: 5000 })).length;
    const first = await env.services.auditTrail.page(owner, orgId, { limit: 100 });
    expect(first.total).toBe(total);
    expect(first.items[0]!.seq).toBe(total);
    expect(first.items.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => total - i));
    const seen = new Set<number>();
    let before: number | undefined;
    for (;;) {
      const p = await env.services.auditTrail.page(owner, orgId, { limit: 200, ...(before ? { before } : {}) });
      for (const e of p.items) {
        expect(seen.has(e.seq)).toBe(false);
        seen.add(e.seq);
      }
      if (p.next === undefined) break;
      before = p.next;
    }
    expect(seen.size).toBe(total);
  });

  it('when filtered by action prefix, actor kind and a date range, then only matching events come, newest first', async () => {
    // The store stamps events with its own clock: the range is taken from the events themselves.
    const pause = () => new Promise((r) => setTimeout(r, 5));
    await append(5, 'team.created', admin);
    await pause();
    await append(3, 'member.removed', scim);
    await append(2, 'member.deactivated', admin);
    await pause();
    await append(4, 'member.removed', scim);
    const all = await env.store.listAudit(orgId);
    const middle = all.filter((e) => e.seq > all.length - 9 && e.seq <= all.length - 4);
    const dayTwo = new Date(middle[0]!.at);
    const dayThree = new Date(middle[middle.length - 1]!.at);
    const members = await env.services.auditTrail.page(owner, orgId, { action: 'member.' });
    expect(members.items.map((e) => e.action)).toEqual([...Array(4).fill('member.removed'), ...Array(2).fill('member.deactivated'), ...Array(3).fill('member.removed')]);
    const byScim = await env.services.auditTrail.page(owner, orgId, { actor: 'scim', action: 'member.removed' });
    expect(byScim.items).toHaveLength(7);
    const dayTwoOnly = await env.services.auditTrail.page(owner, orgId, { from: dayTwo, to: dayThree });
    expect(dayTwoOnly.items.map((e) => e.action)).toEqual([...Array(2).fill('member.deactivated'), ...Array(3).fill('member.removed')]);
    expect(dayTwoOnly.next).toBeUndefined();
    const before = await env.services.auditTrail.page(owner, orgId, { to: new Date(dayTwo.getTime() - 1) });
    expect(before.items.every((e) => Date.parse(e.at) < dayTwo.getTime())).toBe(true);
    expect(before.items.some((e) => e.action === 'team.created')).toBe(true);
    expect(before.items.some((e) => e.action.startsWith('member.'))).toBe(false);
  });

  it('when verify runs, then an intact chain says ok with its count and head; a member principal is refused', async () => {
    await append(3, 'team.created', admin);
    const r = await env.services.auditTrail.verify(owner, orgId);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.head.seq).toBe(r.events);
    const member: Principal = { kind: 'org', orgId, role: 'member', actor: { kind: 'admin', id: 'k' }, source: 'admin' };
    expect(await code(env.services.auditTrail.page(member, orgId, {}))).toBe('auth.forbidden');
    expect(await code(env.services.auditTrail.verify(member, orgId))).toBe('auth.forbidden');
  });
});
