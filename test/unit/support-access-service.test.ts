import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Principal } from '../../src/services/authz.js';
import { CLI_PRINCIPAL } from '../../src/services/authz.js';
import { code, memoryServices } from '../support/services.js';

describe('support access service', () => {
  let env: ReturnType<typeof memoryServices>;
  beforeEach(() => {
    env = memoryServices();
  });
  afterEach(() => env.close());

  it('when a grant is asked with bad input or without owner standing, then it is refused with a precise code and nothing is written', async () => {
    const org = await env.services.orgs.create({ name: 'Acme' }, CLI_PRINCIPAL.actor);
    const as = (role: 'member' | 'admin' | 'owner'): Principal => ({ kind: 'org', orgId: org.id, role, actor: { kind: 'admin', id: `k-${role}` } });
    const grant = (p: Principal, hours: number, reason: string) => code(env.services.support.grant(p, org.id, { hours, reason }));
    expect(await grant(as('owner'), 0, 'x')).toBe('request.invalid');
    expect(await grant(as('owner'), 721, 'x')).toBe('request.invalid');
    expect(await grant(as('owner'), 1.5, 'x')).toBe('request.invalid');
    expect(await grant(as('owner'), 2, '  ')).toBe('request.invalid');
    expect(await grant(as('admin'), 2, 'x')).toBe('auth.forbidden');
    expect(await grant(CLI_PRINCIPAL, 2, 'x')).toBe('auth.forbidden');
    expect(await env.store.listSupportGrants(org.id)).toEqual([]);
    expect(await code(env.services.support.setMode(as('owner'), org.id, 'closed' as 'open'))).toBe('request.invalid');
    expect(await code(env.services.support.revoke(as('member'), org.id, 'x'))).toBe('auth.forbidden');

    const g = await env.services.support.grant(as('owner'), org.id, { hours: 720, reason: 'ticket' });
    expect(Date.parse(g.expiresAt) - Date.parse(g.createdAt)).toBe(720 * 3_600_000);
    expect(g.grantedBy).toEqual({ kind: 'admin', id: 'k-owner' });
  });

  it('when the org is open, then a provider principal passes unchanged and nothing is audited', async () => {
    const org = await env.services.orgs.create({ name: 'Acme' }, CLI_PRINCIPAL.actor);
    const before = (await env.store.listAudit(org.id)).length;
    expect(await env.services.support.admit(CLI_PRINCIPAL, org.id, { method: 'GET', path: '/x' })).toBe(CLI_PRINCIPAL);
    expect((await env.store.listAudit(org.id)).length).toBe(before);
  });
});
