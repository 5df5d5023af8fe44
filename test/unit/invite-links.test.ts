import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/domain/model.js';
import { code, adjustableClock, memoryServices } from '../support/services.js';

const admin: Actor = { kind: 'admin', id: 'key-1' };


const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

describe('invite links', () => {
  let env: ReturnType<typeof memoryServices>;
  let clock: ReturnType<typeof adjustableClock>;
  let orgId: string;
  beforeEach(async () => {
    clock = adjustableClock();
    env = memoryServices({ clock });
    orgId = (await env.services.orgs.create({ name: 'Acme' }, admin)).id;
  });
  afterEach(() => env.close());

  it('when a link is created, then its URL carries a 256-bit token that is stored only as a hash, and it is audited', async () => {
    const team = await env.services.teams.create(orgId, { displayName: 'Ops' }, admin);
    const { link, url } = await env.services.links.create(orgId, { teamId: team.id, role: 'member', maxUses: 5, allowedDomains: ['Example.com'] }, admin);
    expect(url).toMatch(/^https:\/\/idsync\.test\/join\/idsync_link_[A-Za-z0-9_-]{43}$/);
    expect(link).toMatchObject({ teamId: team.id, maxUses: 5, uses: 0, allowedDomains: ['example.com'], state: 'active' });
    expect(JSON.stringify(await env.store.getInviteLink(orgId, link.id))).not.toContain(tokenOf(url));
    expect((await env.services.links.list(orgId)).items.map((l) => l.id)).toEqual([link.id]);
    expect(await code(env.services.links.create(orgId, { teamId: 'no-such-team' }, admin))).toBe('team.not_found');
    expect(await code(env.services.links.create(orgId, { directoryConnectionId: 'no-such-connection' }, admin))).toBe('connection.not_found');
    expect((await env.services.audit.list(orgId)).map((e) => e.action)).toContain('link.created');
  });

  it('when 10 people race for a link with one use, then exactly one gets it and the rest get link.used_up', async () => {
    const { url } = await env.services.links.create(orgId, { maxUses: 1 }, admin);
    const results = await Promise.all(Array.from({ length: 10 }, (_, n) => code(env.services.links.use(tokenOf(url), `p${n}@example.com`))));
    expect(results.filter((c) => c === 'ok')).toHaveLength(1);
    expect(results.filter((c) => c === 'link.used_up')).toHaveLength(9);
    const [listed] = (await env.services.links.list(orgId)).items;
    expect(listed).toMatchObject({ uses: 1, state: 'used_up' });
    expect((await env.services.audit.list(orgId)).filter((e) => e.action === 'link.used')).toHaveLength(1);
  });

  it('when a link is rotated, then the old URL is not found at once and the new one works', async () => {
    const created = await env.services.links.create(orgId, {}, admin);
    const rotated = await env.services.links.rotate(orgId, created.link.id, admin);
    expect(rotated.url).not.toBe(created.url);
    expect(await code(env.services.links.use(tokenOf(created.url), 'a@example.com'))).toBe('link.not_found');
    expect(await code(env.services.links.use(tokenOf(rotated.url), 'a@example.com'))).toBe('ok');
    expect((await env.services.audit.list(orgId)).map((e) => e.action)).toEqual(expect.arrayContaining(['link.rotated', 'link.used']));
  });

  it('when a link is revoked, then using it fails with link.revoked and it cannot be rotated back to life', async () => {
    const { link, url } = await env.services.links.create(orgId, {}, admin);
    expect((await env.services.links.revoke(orgId, link.id, admin)).state).toBe('revoked');
    expect(await code(env.services.links.use(tokenOf(url), 'a@example.com'))).toBe('link.revoked');
    expect(await code(env.services.links.rotate(orgId, link.id, admin))).toBe('link.revoked');
    expect((await env.services.audit.list(orgId)).filter((e) => e.action === 'link.revoked')).toHaveLength(1);
  });

  it('when a link allows only some domains, then other domains get link.domain_not_allowed (case-insensitive)', async () => {
    const { url } = await env.services.links.create(orgId, { allowedDomains: ['corp.example'] }, admin);
    expect(await code(env.services.links.use(tokenOf(url), 'a@gmail.com'))).toBe('link.domain_not_allowed');
    expect(await code(env.services.links.use(tokenOf(url), 'a@CORP.example'))).toBe('ok');
  });

  it('when a link passes its expiry, then using it fails with link.expired and it lists as expired', async () => {
    const { url } = await env.services.links.create(orgId, { expiresInHours: 24 * 7 }, admin);
    clock.advanceHours(24 * 7 - 1);
    expect(await code(env.services.links.use(tokenOf(url), 'a@example.com'))).toBe('ok');
    clock.advanceHours(1);
    expect(await code(env.services.links.use(tokenOf(url), 'b@example.com'))).toBe('link.expired');
    expect((await env.services.links.list(orgId)).items[0]?.state).toBe('expired');
  });
});
