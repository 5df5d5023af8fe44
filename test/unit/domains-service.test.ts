import { afterEach, describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/domain/model.js';
import { code, memoryServices } from '../support/services.js';

const OWNER: Actor = { kind: 'admin', id: 'key-1', label: 'an owner' };

describe('domain capture by an owner sign-in, and routing (services on a real SQLite store)', () => {
  let env: ReturnType<typeof memoryServices>;
  afterEach(() => env?.close());

  async function withMember(role: 'owner' | 'admin', email: string, status: 'active' | 'inactive' = 'active') {
    const { services: s, store } = env;
    const org = await s.orgs.create({ name: `Org of ${email}` }, OWNER);
    if (role !== 'owner') await s.members.create(org.id, { email: `boss@${email.split('@')[1]}.other`, role: 'owner' }, OWNER).catch(() => undefined);
    const m = await s.members.create(org.id, { email, role }, OWNER);
    await store.updateMember(org.id, m.id, (cur) => ({ next: { ...cur, status, identities: [{ provider: 'microsoft', subject: `oid-${m.id}`, email }] }, audit: { orgId: org.id, actor: OWNER, action: 'member.identity_linked', target: { type: 'member', id: m.id } } }));
    return org;
  }

  it('when only an admin, or an owner signed in elsewhere, has an address at the domain, then the owner sign-in proof fails; an active owner signed in there proves it', async () => {
    env = memoryServices();
    const s = env.services;
    const byAdmin = await withMember('admin', 'ann@acme.example');
    await s.domains.add(byAdmin.id, { domain: 'acme.example' }, OWNER);
    expect(await code(s.domains.verify(byAdmin.id, 'acme.example', 'owner_sign_in', OWNER))).toBe('domain.not_verified');

    const byOwner = await withMember('owner', 'olga@acme.example');
    await s.domains.add(byOwner.id, { domain: 'acme.example' }, OWNER);
    await s.domains.add(byOwner.id, { domain: 'sub.acme.example' }, OWNER);
    expect(await code(s.domains.verify(byOwner.id, 'sub.acme.example', 'owner_sign_in', OWNER))).toBe('domain.not_verified');
    const v = await s.domains.verify(byOwner.id, 'acme.example', 'owner_sign_in', OWNER);
    expect(v).toMatchObject({ status: 'verified', method: 'owner_sign_in' });
    // Verifying again changes nothing; the admin's org cannot take it any more.
    expect((await s.domains.verify(byOwner.id, 'acme.example', 'dns', OWNER)).version).toBe(v.version);
    expect(await code(s.domains.add(byOwner.id, { domain: 'acme.example' }, OWNER))).toBe('domain.exists');
  });

  it('when a verified domain routes sign-ups, then routeFor finds its org; turned off or removed, it does not', async () => {
    env = memoryServices();
    const s = env.services;
    const org = await withMember('owner', 'olga@route.example');
    await s.domains.add(org.id, { domain: 'route.example', routeSignups: false }, OWNER);
    await s.domains.verify(org.id, 'route.example', 'owner_sign_in', OWNER);
    expect(await s.domains.routeFor('new@route.example')).toBeUndefined();
    await s.domains.setRouting(org.id, 'route.example', true, OWNER);
    expect((await s.domains.routeFor('New@Route.Example'))?.orgId).toBe(org.id);
    expect(await s.domains.routeFor('new@sub.route.example')).toBeUndefined();
    await s.domains.remove(org.id, 'route.example', OWNER);
    expect(await s.domains.routeFor('new@route.example')).toBeUndefined();
    expect(await code(s.domains.remove(org.id, 'route.example', OWNER))).toBe('domain.not_found');
  });
});
