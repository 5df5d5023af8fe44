import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ERROR_CODES, isIdsyncError, type ErrorCode } from '../../src/domain/errors.js';
import { PROBLEMS } from '../../src/http/join/pages.js';
import type { Actor } from '../../src/domain/model.js';
import type { JoinSignIn } from '../../src/services/join/service.js';
import { code, memoryServices } from '../support/services.js';

const admin: Actor = { kind: 'admin', id: 'key-1' };
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);
const signIn = (email: string, subject: string, extra: Partial<JoinSignIn> = {}): JoinSignIn => ({ provider: 'google', subject, email, emailVerified: true, directoryId: subject, ...extra });


describe('join service (link join)', () => {
  let env: ReturnType<typeof memoryServices>;
  let orgId: string;
  beforeEach(async () => {
    env = memoryServices();
    orgId = (await env.services.orgs.create({ name: 'Acme' }, admin)).id;
  });
  afterEach(() => env.close());

  it('when the member cannot be written after the use was consumed (userName taken), then the use is given back and the single-use link still works', async () => {
    // Arrange: a live member holds the userName the joiner would get, under another email.
    await env.services.members.create(orgId, { email: 'ada.lovelace@example.com', userName: 'ada@example.com' }, admin);
    const { link, url } = await env.services.links.create(orgId, { maxUses: 1 }, admin);

    // Act: the join is refused by the userName clash.
    expect(await code(env.services.join.complete(tokenOf(url), signIn('ada@example.com', 'g-ada')))).toBe('member.user_name_taken');

    // Assert: the use came back, audited with why; the link lets the next person in.
    expect(await env.services.links.get(orgId, link.id)).toMatchObject({ uses: 0, state: 'active' });
    const returned = (await env.services.audit.list(orgId)).find((e) => e.action === 'link.use_returned');
    expect(returned).toMatchObject({ target: { type: 'invite_link', id: link.id }, before: { uses: 1 }, after: { uses: 0, maxUses: 1 }, reason: 'join failed: member.user_name_taken' });
    const { member } = await env.services.join.complete(tokenOf(url), signIn('grace@example.com', 'g-grace'));
    expect(member).toMatchObject({ userName: 'grace@example.com', managedBy: { kind: 'invite' } });
    expect(await env.services.links.get(orgId, link.id)).toMatchObject({ uses: 1, state: 'used_up' });
    expect((await env.services.audit.verify(orgId)).ok).toBe(true);
  });

  it("when the org's domain rule refuses the joiner, then no use is consumed", async () => {
    await env.services.orgs.update(orgId, { settings: { allowedDomains: ['acme.example'] } }, admin);
    const { link, url } = await env.services.links.create(orgId, { maxUses: 1 }, admin);
    expect(await code(env.services.join.complete(tokenOf(url), signIn('eve@evil.example', 'g-eve')))).toBe('member.domain_not_allowed');
    expect(await env.services.links.get(orgId, link.id)).toMatchObject({ uses: 0, state: 'active' });
  });

  it('when the email is not verified, then join.email_unverified, a coded error with its status', async () => {
    const { url } = await env.services.links.create(orgId, {}, admin);
    const err = await env.services.join.complete(tokenOf(url), signIn('ada@example.com', 'g-ada', { emailVerified: false })).catch((e: unknown) => e);
    expect(isIdsyncError(err, 'join.email_unverified') && err.status).toBe(403);
  });

  it('when a linked member joins again with a second account at the same provider, then both identities are kept', async () => {
    const { url } = await env.services.links.create(orgId, {}, admin);
    const first = (await env.services.join.complete(tokenOf(url), signIn('ada@example.com', 'g-work'))).member;
    const again = (await env.services.join.complete(tokenOf(url), signIn('ada@example.com', 'g-personal'))).member;
    expect(again.id).toBe(first.id);
    expect(again.identities.map((i) => i.subject)).toEqual(['g-work', 'g-personal']);
    const linked = (await env.services.audit.list(orgId)).find((e) => e.action === 'member.identity_linked');
    expect(linked).toMatchObject({ source: 'join', actor: { kind: 'invite', id: 'google:g-personal' }, after: { identity: { provider: 'google', subject: 'g-personal' } } });
  });

  it('when a token is looked up, then the landing says what it opens; a rotated link is link.not_found', async () => {
    const team = await env.services.teams.create(orgId, { displayName: 'Ops' }, admin);
    const { link, url } = await env.services.links.create(orgId, { teamId: team.id, allowedDomains: ['example.com'] }, admin);
    expect(await env.services.join.landing(tokenOf(url))).toEqual({ kind: 'link', orgName: 'Acme', role: 'member', teamNames: ['Ops'], allowedDomains: ['example.com'] });
    await env.services.links.rotate(orgId, link.id, admin);
    expect(await code(env.services.join.lookup(tokenOf(url)))).toBe('link.not_found');
  });
});

describe('join refusal codes', () => {
  it('when a join.* code is in the error table, then the join pages answer it with a page of the same status', () => {
    const codes = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => c.startsWith('join.'));
    expect(codes.sort()).toEqual(['join.cancelled', 'join.email_unverified', 'join.failed', 'join.not_in_directory', 'join.provider_unavailable', 'join.session_invalid']);
    for (const c of codes) expect([c, PROBLEMS[c]?.status]).toEqual([c, ERROR_CODES[c].status]);
  });
});
