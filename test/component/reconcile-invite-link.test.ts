/**
 * policy.inviteLink: the reconciler keeps one directory-gated open invite link minted, an admin can
 * copy its URL at any time, and directory-gated links made by a member the reconciler offboards are
 * rotated so that person's copy of the URL stops working.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import type { Actor, Member } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { MEMBERS, startDirectory, type FaultyDirectory } from '../fakes/directory-faults.js';
import { rsaKeys } from '../support/connectors.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';

const keys = rsaKeys();
const ACTOR: Actor = { kind: 'cli', label: 'invite link test' };
const tokenOf = (url: string) => url.slice(url.lastIndexOf('/') + 1);

describe.each(STORES)('the directory-gated invite link kept by the reconciler, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let services: Services;
  let dir: FaultyDirectory;
  let orgId: string;
  let connId: string;
  const members: Member[] = [];

  beforeAll(async () => {
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      store = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'links' });
    } else {
      store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'idsync-links-')), 'idsync.db') });
    }
    services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9), publicUrl: 'https://idsync.example' });
    dir = await startDirectory('google', keys);
    const org = await services.orgs.create({ name: 'Linked' }, ACTOR);
    orgId = org.id;
    for (let i = 0; i < MEMBERS; i++) members.push(await services.members.create(orgId, { email: dir.emailOf(i), role: i === 0 ? 'owner' : i === 1 ? 'admin' : 'member' }, ACTOR));
    connId = (await services.connections.create(orgId, { provider: 'google', config: dir.config, policy: { inviteLink: true, maxDeactivations: 100, maxDeactivationPercent: 100 } }, ACTOR)).id;
  });
  afterAll(async () => {
    await dir.stop();
    await store.close();
    await redis?.dispose();
  });

  it('when the policy is on, then the first run mints one gated link whose URL an admin can copy, and later runs keep it', async () => {
    await expect(services.reconcile.inviteLinkUrl(connId)).rejects.toMatchObject({ code: 'link.not_found' });
    const first = await services.reconcile.run(connId);
    expect(first.inviteLink).toMatchObject({ action: 'minted', rotatedForOffboarding: [] });
    const { linkId, url } = await services.reconcile.inviteLinkUrl(connId);
    expect(url).toMatch(/^https:\/\/idsync\.example\/join\//);
    expect(await services.links.get(orgId, linkId)).toMatchObject({ directoryConnectionId: connId, role: 'member', state: 'active', createdBy: { kind: 'directory', id: connId } });
    // The copied URL really admits someone: one use, counted on the link.
    expect((await services.links.use(tokenOf(url), 'newcomer@example.com')).uses).toBe(1);

    const second = await services.reconcile.run(connId);
    expect(second.inviteLink).toMatchObject({ action: 'kept', linkId });
    expect((await services.reconcile.inviteLinkUrl(connId)).url).toBe(url);
  });

  it('when the kept link is revoked by an admin, then the next run mints a new one', async () => {
    const { linkId } = await services.reconcile.inviteLinkUrl(connId);
    await services.links.revoke(orgId, linkId, ACTOR);
    const run = await services.reconcile.run(connId);
    expect(run.inviteLink?.action).toBe('minted');
    expect((await services.reconcile.inviteLinkUrl(connId)).linkId).not.toBe(linkId);
  });

  it('when the member who made a gated link is offboarded upstream, then the link is rotated and their URL stops working', async () => {
    const creator = members[1]!;
    const made = await services.links.create(orgId, { directoryConnectionId: connId }, { kind: 'admin', id: 'key-1', onBehalfOf: creator.id });
    const other = await services.links.create(orgId, { directoryConnectionId: connId }, { kind: 'admin', id: 'key-1', onBehalfOf: members[2]!.id });
    dir.offboard(1);
    const run = await services.reconcile.run(connId);
    expect(run.deactivated).toBe(1);
    expect(run.inviteLink?.rotatedForOffboarding).toEqual([made.link.id]);
    await expect(services.links.use(tokenOf(made.url), 'someone@example.com')).rejects.toMatchObject({ code: 'link.not_found' });
    expect((await services.links.use(tokenOf(other.url), 'someone@example.com')).uses).toBe(1);
    const audit = await store.listAudit(orgId, { limit: 1000 });
    expect(audit.some((e) => e.action === 'link.rotated' && e.target.id === made.link.id && e.actor.kind === 'directory')).toBe(true);
  });

  it('when the policy is turned off, then the kept link is revoked and no URL is offered', async () => {
    const { linkId } = await services.reconcile.inviteLinkUrl(connId);
    await services.connections.update(connId, { policy: { inviteLink: false } }, ACTOR);
    const run = await services.reconcile.run(connId);
    expect(run.inviteLink).toMatchObject({ action: 'revoked' });
    expect((await services.links.get(orgId, linkId)).state).toBe('revoked');
    await expect(services.reconcile.inviteLinkUrl(connId)).rejects.toMatchObject({ code: 'link.not_found' });
  });

  it('when auto-invite meets the org pending cap, then the rest are deferred, the summary says so, and a later run invites them (never the revoked)', async () => {
    const org = await services.orgs.create({ name: 'Capped', settings: { pendingInviteCap: 6 } }, ACTOR);
    for (let i = 0; i < 10; i++) await services.members.create(org.id, { email: dir.emailOf(i), role: i === 0 ? 'owner' : 'member' }, ACTOR);
    const conn = await services.connections.create(org.id, { provider: 'google', config: dir.config, policy: { autoInvite: true } }, ACTOR);
    const first = await services.reconcile.run(conn.id);
    expect(first).toMatchObject({ invited: 6, invitesDeferred: MEMBERS - 10 - 6 });
    const again = await services.reconcile.run(conn.id);
    expect(again).toMatchObject({ invited: 0, invitesDeferred: MEMBERS - 10 - 6 });
    const pending = await services.invitations.list(org.id);
    for (const inv of pending.items.slice(0, 3)) await services.invitations.revoke(org.id, inv.id, ACTOR);
    const later = await services.reconcile.run(conn.id);
    // Revoked invitations are not sent again behind the admin's back: three others get the free places.
    // Of the 20 non-members: 3 still pending, 3 revoked, 3 invited now, 11 waiting.
    expect(later).toMatchObject({ invited: 3, invitesDeferred: MEMBERS - 10 - 3 - 3 - 3 });
  });
});
