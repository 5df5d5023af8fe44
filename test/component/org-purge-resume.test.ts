import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { PROVIDER_SCOPE, type Store } from '../../src/ports/store.js';
import { CLI_PRINCIPAL } from '../../src/services/authz.js';
import { createServices, type Services } from '../../src/services/index.js';
import { hashSecret } from '../../src/services/secret-hash.js';
import { aConnection, draft } from '../../src/store/conformance/fixtures.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { RedisTestServer } from '../support/redis-server.js';
import { adjustableClock, memoryMailer } from '../support/services.js';

/**
 * On Redis a purge is not one transaction, so it must resume. The store's Redis user is denied
 * UNLINK (a Redis ACL), so the first pass really stops after keeping the receipt and clearing the
 * global indexes, before removing the org's keys: what a process killed there leaves behind.
 */
describe('org purge on Redis, interrupted and run again', () => {
  let server: RedisTestServer;
  let admin: Redis;
  let store: Store;
  let services: Services;
  const clock = adjustableClock();
  beforeAll(async () => {
    server = await RedisTestServer.start();
    admin = new Redis(server.url);
    await admin.call('ACL', 'SETUSER', 'purger', 'on', '>pw', '~*', '&*', '+@all', '-unlink');
    const url = new URL(server.url);
    url.username = 'purger';
    url.password = 'pw';
    store = createRedisStore({ connection: { url: url.toString() } });
    services = createServices({ store, clock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 7), mailer: memoryMailer(), publicUrl: 'https://idsync.test', orgDeletionGraceDays: 1 });
  });
  afterAll(async () => {
    await store?.close();
    admin?.disconnect();
    await server?.dispose();
  });

  it('when the first pass dies half way, then the next one finishes: nothing of the org is left, one receipt and one org.purged event', async () => {
    // Arrange: an org with members, an invitation, a token and a connection, deleted a day and an hour ago.
    const org = await services.orgs.create({ name: 'Soylent' }, CLI_PRINCIPAL.actor);
    for (const email of ['a@soylent.test', 'b@soylent.test']) await services.members.create(org.id, { email, role: 'owner' }, CLI_PRINCIPAL.actor);
    await services.invitations.invite(org.id, { email: 'c@soylent.test' }, CLI_PRINCIPAL.actor);
    const { token } = await services.credentials.createScimToken(org.id, CLI_PRINCIPAL.actor);
    const conn = aConnection(org.id);
    await store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
    await services.orgDeletion.delete(CLI_PRINCIPAL, org.id);
    const head = (await store.listAudit(org.id)).at(-1)!;
    clock.advanceHours(25);

    // Act 1: the first pass fails after the receipt.
    const first = await services.orgDeletion.purgeDue();

    // Assert 1: the receipt is kept, the org is still there to be found by the next pass.
    expect(first.purged).toEqual([]);
    expect(first.failed.map((x) => x.orgId)).toEqual([org.id]);
    const receipt = await store.getPurgeReceipt(org.id);
    expect(receipt).toMatchObject({ orgId: org.id, lastAuditHash: head.hash, auditCount: head.seq });
    expect((await store.getOrg(org.id))?.state).toBe('deleting');
    expect(await admin.keys(`*{o:${org.id}}*`)).not.toEqual([]);

    // Act 2: UNLINK allowed again (the process restarted); the next pass.
    await admin.call('ACL', 'SETUSER', 'purger', '+unlink');
    const second = await services.orgDeletion.purgeDue();

    // Assert 2
    expect(second).toEqual({ purged: [receipt], failed: [] });
    expect(await admin.keys(`*{o:${org.id}}*`)).toEqual([]);
    expect(await store.getOrg(org.id)).toBeUndefined();
    expect(await store.findScimTokenByHash(hashSecret(token))).toBeUndefined();
    expect(await store.getConnection(conn.id)).toBeUndefined();
    expect((await store.listOrgs()).items).toEqual([]);
    expect(await store.listPurgeReceipts()).toEqual([receipt]);
    expect((await store.listAudit(PROVIDER_SCOPE)).filter((e) => e.action === 'org.purged')).toHaveLength(1);
    expect(await services.orgDeletion.purgeDue()).toEqual({ purged: [], failed: [] });
  });
});
