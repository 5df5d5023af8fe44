import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import type { Store } from '../../src/ports/store.js';
import { exportStore } from '../../src/services/store-transfer/export.js';
import { aMember, anInvitation, anInviteLink, anOrg, draft, NOW } from '../../src/store/conformance/fixtures.js';
import { openRedisImporter } from '../../src/store/redis/import.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { tempDir } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';

/** Three orgs; the first two hold the person (member, invitation, link of their domain), the third nothing of theirs. */
async function seed(store: Store): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) {
    const org = anOrg({ name: `Org ${i}` });
    await store.createOrg(org, draft(org.id, 'org.created', org.id));
    ids.push(org.id);
    const mine = i < 2;
    const email = mine ? 'ada@acme.example' : `someone${i}@other.example`;
    await store.createMember(aMember(org.id, { userName: email, emails: [{ value: email }], identities: mine ? [{ provider: 'google', subject: 'ada' }] : [] }), draft(org.id, 'member.created', 'm'));
    await store.createInvitation(anInvitation(org.id, { email: mine ? 'new@acme.example' : 'new@other.example' }), draft(org.id, 'invitation.created', 'i'), { pendingCap: 50, now: NOW });
    await store.createInviteLink(anInviteLink(org.id, { allowedDomains: [mine ? 'acme.example' : 'other.example'] }), draft(org.id, 'link.created', 'l'));
  }
  return ids;
}

async function lookups(store: Store) {
  const sorted = (xs: string[]) => [...xs].sort();
  return {
    identity: sorted(await store.findOrgIdsByMemberIdentity('google', 'ada')),
    email: sorted(await store.findOrgIdsByMemberEmail('ada@acme.example')),
    invitation: sorted(await store.findOrgIdsWithPendingInvitationFor('new@acme.example')),
    domain: sorted(await store.findOrgIdsWithInviteLinkDomain('acme.example')),
  };
}

describe('Redis cross-org indexes: upgrade and migrate-store', () => {
  let server: RedisTestServer;
  let raw: Redis;
  beforeAll(async () => {
    server = await RedisTestServer.start();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    raw?.disconnect();
    await server?.dispose();
  });

  it('when a store written before the indexes is opened, then lookups answer every org until one replica has rebuilt them, then just the matches', async () => {
    // Arrange: a populated store, then its cross-org keys deleted (what a store from before them looks like).
    const store = createRedisStore({ connection: { url: server.url }, keyPrefix: 'upgrade' });
    const replica = createRedisStore({ connection: { url: server.url }, keyPrefix: 'upgrade' });
    try {
      const [a, b, c] = await seed(store);
      const keys = await raw.keys('upgrade:{xorg}:*');
      expect(keys).toContain('upgrade:{xorg}:built');
      await raw.del(...keys);

      // Act: two replicas look up at once.
      const first = await Promise.all([lookups(store), lookups(replica)]);

      // Assert: every org is a candidate (as correct as the old walk); the rebuild then sets `built` and the answers narrow.
      const every = [a!, b!, c!].sort();
      for (const l of first) expect(l).toEqual({ identity: every, email: every, invitation: every, domain: every });
      for (let i = 0; i < 100 && (await raw.exists('upgrade:{xorg}:built')) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await raw.exists('upgrade:{xorg}:built')).toBe(1);
      const two = [a!, b!].sort();
      expect(await lookups(replica)).toEqual({ identity: two, email: two, invitation: two, domain: two });
      expect(await lookups(store)).toEqual({ identity: two, email: two, invitation: two, domain: two });
    } finally {
      await Promise.all([store.close(), replica.close()]);
    }
  });

  it('when migrate-store imports into an empty Redis, then the imported store answers the cross-org lookups with just the matches', async () => {
    // Arrange: the records of a SQLite installation.
    const source = openSqliteStore({ path: join(tempDir(), 'idsync.db') });
    const [a, b] = await seed(source);
    const records = [];
    for await (const r of exportStore(source)) records.push(r);
    await source.close();

    // Act
    const importer = openRedisImporter({ url: server.url, keyPrefix: 'imported' });
    await importer.importBatch(records);
    await importer.close();

    // Assert
    const target = createRedisStore({ connection: { url: server.url }, keyPrefix: 'imported' });
    try {
      const two = [a!, b!].sort();
      expect(await raw.exists('imported:{xorg}:built')).toBe(1);
      expect(await lookups(target)).toEqual({ identity: two, email: two, invitation: two, domain: two });
    } finally {
      await target.close();
    }
  });
});
