import { afterEach, describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/domain/model.js';
import { code, memoryServices } from '../support/services.js';

const ADMIN: Actor = { kind: 'admin', id: 'key-1', label: 'an admin' };
const carl = { provider: 'google' as const, subject: 'g-carl', email: 'carl@captured.example', emailVerified: true };

describe('join requests (services on a real SQLite store)', () => {
  let env: ReturnType<typeof memoryServices>;
  afterEach(() => env?.close());

  it('when the same person asks twice, then the pending request is returned rather than a second one', async () => {
    env = memoryServices();
    const { services: s } = env;
    const org = await s.orgs.create({ name: 'Captured' }, ADMIN);
    const first = await s.joinRequests.request(org.id, carl);
    const again = await s.joinRequests.request(org.id, { ...carl, email: 'CARL@captured.example' });
    expect([first.created, again.created]).toEqual([true, false]);
    expect(again.request.id).toBe(first.request.id);
    expect(await code(s.joinRequests.request(org.id, { ...carl, emailVerified: false }))).toBe('join.email_unverified');
  });

  it('when two admins approve one request at once, then one wins, the other is told join_request.decided, and there is one member', async () => {
    env = memoryServices();
    const { services: s } = env;
    const org = await s.orgs.create({ name: 'Captured' }, ADMIN);
    const { request } = await s.joinRequests.request(org.id, carl);
    const results = await Promise.all([code(s.joinRequests.approve(org.id, request.id, {}, ADMIN)), code(s.joinRequests.approve(org.id, request.id, { role: 'admin' }, ADMIN))]);
    expect(results.sort()).toEqual(['join_request.decided', 'ok']);
    expect((await s.members.list(org.id)).total).toBe(1);
    expect(await code(s.joinRequests.decline(org.id, request.id, {}, ADMIN))).toBe('join_request.decided');
  });

  it('when the member cannot be written (the org now allows other domains only), then approval fails with that code and the request is pending again', async () => {
    env = memoryServices();
    const { services: s, store } = env;
    const org = await s.orgs.create({ name: 'Captured' }, ADMIN);
    const { request } = await s.joinRequests.request(org.id, carl);
    await s.orgs.update(org.id, { settings: { allowedDomains: ['elsewhere.example'] } }, ADMIN);
    expect(await code(s.joinRequests.approve(org.id, request.id, {}, ADMIN))).toBe('member.domain_not_allowed');
    expect(await s.joinRequests.get(org.id, request.id)).toMatchObject({ status: 'pending', version: 3 });
    expect((await s.members.list(org.id)).total).toBe(0);
    expect((await store.listAudit(org.id)).map((e) => e.action).slice(-2)).toEqual(['join_request.approved', 'join_request.approve_failed']);
    await s.orgs.update(org.id, { settings: { allowedDomains: [] } }, ADMIN);
    const { member } = await s.joinRequests.approve(org.id, request.id, {}, ADMIN);
    expect(member).toMatchObject({ userName: 'carl@captured.example', identities: [{ provider: 'google', subject: 'g-carl' }] });
  });

  it('when the person is already a member, then approving links their sign-in to that membership instead of creating another', async () => {
    env = memoryServices();
    const { services: s } = env;
    const org = await s.orgs.create({ name: 'Captured' }, ADMIN);
    const existing = await s.members.create(org.id, { email: 'carl@captured.example', role: 'admin' }, ADMIN);
    const { request } = await s.joinRequests.request(org.id, carl);
    const { member } = await s.joinRequests.approve(org.id, request.id, {}, ADMIN);
    expect(member.id).toBe(existing.id);
    expect(member.identities).toEqual([{ provider: 'google', subject: 'g-carl', email: 'carl@captured.example' }]);
    expect((await s.members.list(org.id)).total).toBe(1);
  });
});
