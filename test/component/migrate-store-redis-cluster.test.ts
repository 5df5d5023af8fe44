import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { Organization } from '../../src/domain/model.js';
import { verifyChain } from '../../src/ports/audit-chain.js';
import { PROVIDER_SCOPE } from '../../src/ports/store.js';
import { exportStore } from '../../src/services/store-transfer/export.js';
import { aConnection, aDelivery, aMember, anOrg, aTeam, aWebhook, draft } from '../../src/store/conformance/fixtures.js';
import { openRedisImporter } from '../../src/store/redis/import.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { RedisTestCluster } from '../support/redis-server.js';

// migrate-store's Redis importer against a three-master Redis Cluster: every batch it writes must
// keep each MULTI within one hash slot (an org's keys share one), or the cluster refuses it (CROSSSLOT).
describe('the Redis importer on a Redis Cluster', () => {
  let cluster: RedisTestCluster;
  beforeAll(async () => {
    cluster = await RedisTestCluster.start();
  }, 60_000);
  afterAll(async () => {
    await cluster?.dispose();
  });

  it('when several orgs with members, teams, connections and webhooks are imported, then the cluster store serves them, every audit chain verifies, and writing carries on', async () => {
    // Arrange: orgs spread over the cluster's slots, each with its records and audit chain.
    const source = openSqliteStore({ path: join(tempDir(), 'src.db') });
    const orgs = [];
    for (let i = 0; i < 6; i++) {
      const org = await source.createOrg(anOrg({ name: `Org ${i}` }), draft('x', 'org.created', 'x'));
      orgs.push(org);
      for (let j = 0; j < 5; j++) await source.createMember(aMember(org.id, { userName: `u${j}@org${i}.example`, emails: [{ value: `u${j}@org${i}.example`, primary: true }] }), draft(org.id, 'member.created', `m${j}`));
      const team = await source.createTeam(aTeam(org.id, { displayName: `Team ${i}` }), draft(org.id, 'team.created', 't'));
      const members = (await source.listMembers(org.id, { limit: 100 })).items;
      await source.addTeamMembers(org.id, team.id, members.slice(0, 3).map((m) => m.id), draft(org.id, 'team.members_added', team.id));
      await source.createConnection(aConnection(org.id), draft(org.id, 'connection.created', 'c'));
      await source.createWebhook(aWebhook(org.id), draft(org.id, 'webhook.created', 'w'));
    }
    // The operator's endpoint (provider scope, a slot of its own) and a pending delivery to it.
    const op = await source.createWebhook(aWebhook(PROVIDER_SCOPE), draft(PROVIDER_SCOPE, 'webhook.created', 'op'));
    await source.saveDelivery(aDelivery(PROVIDER_SCOPE, op.id, { eventType: 'org.created' }));
    const records = [];
    for await (const r of exportStore(source)) records.push(r);

    // Act: two batches, the second run again (an interrupted migrate-store run once more).
    const importer = openRedisImporter({ clusterNodes: cluster.seeds, keyPrefix: 'moved' });
    let again: number;
    try {
      const half = Math.floor(records.length / 2);
      await importer.importBatch(records.slice(0, half));
      await importer.importBatch(records.slice(half));
      again = await importer.importBatch(records.slice(half));
    } finally {
      await importer.close();
    }

    // Assert
    expect(again).toBe(0);
    const target = createRedisStore({ connection: { clusterNodes: cluster.seeds }, keyPrefix: 'moved' });
    try {
      expect((await target.listOrgs()).items.map((o) => o.id).sort()).toEqual(orgs.map((o) => o.id).sort());
      for (const org of orgs) {
        expect(await target.listMembers(org.id, { limit: 100 })).toEqual(await source.listMembers(org.id, { limit: 100 }));
        const m = (await source.listMembers(org.id, { limit: 1 })).items[0]!;
        expect(await target.findMemberByUserName(org.id, m.userName.toUpperCase())).toEqual(m);
        expect(await target.listTeams(org.id)).toEqual(await source.listTeams(org.id));
        expect(await target.listConnections(org.id)).toEqual(await source.listConnections(org.id));
        const events = await target.listAudit(org.id);
        expect(events).toEqual(await source.listAudit(org.id));
        expect(verifyChain(events).ok).toBe(true);
      }
      expect(await target.listWebhooks(PROVIDER_SCOPE)).toEqual([op]);
      expect(await target.listDeliveries(PROVIDER_SCOPE)).toEqual(await source.listDeliveries(PROVIDER_SCOPE));
      // The daemon carries on: a new member goes last, a taken userName is refused, the chain goes on.
      const org = orgs[3]!;
      const added = aMember(org.id, { userName: 'new@org3.example', emails: [{ value: 'new@org3.example', primary: true }] });
      await target.createMember(added, draft(org.id, 'member.created', added.id));
      expect((await target.listMembers(org.id, { limit: 100 })).items.at(-1)?.id).toBe(added.id);
      await expect(target.createMember(aMember(org.id, { userName: 'U0@ORG3.example' }), draft(org.id, 'member.created', 'dup'))).rejects.toMatchObject({ code: 'member.user_name_taken' });
      expect(verifyChain(await target.listAudit(org.id)).ok).toBe(true);
    } finally {
      await target.close();
    }
  }, 90_000);

  it('when migrate-store is given the cluster seed nodes, then it copies a SQLite installation there and verifies every chain; a malformed node list is refused by name', async () => {
    // Arrange
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Into the cluster', '--json')).json<Organization>();
    for (let i = 0; i < 4; i++) await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', `c${i}@cluster.example`, ...(i === 0 ? ['--role', 'owner'] : []));
    const nodes = cluster.seeds.map((n) => `${n.host}:${n.port}`).join(',');

    // Act
    const bad = await cli(env, cwd, 'migrate-store', '--to-store', 'redis', '--to-cluster-nodes', 'localhost');
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'redis', '--to-cluster-nodes', nodes, '--to-key-prefix', 'cli', '--json');

    // Assert
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--to-cluster-nodes takes host:port');
    expect(r.code).toBe(0);
    const summary = r.json<MigrateSummary>();
    expect(summary.ok).toBe(true);
    expect(summary.to).toContain('redis cluster');
    expect(summary.chains.every((c) => c.ok)).toBe(true);
    const target = createRedisStore({ connection: { clusterNodes: cluster.seeds }, keyPrefix: 'cli' });
    try {
      expect((await target.listMembers(org.id, { limit: 10 })).total).toBe(4);
    } finally {
      await target.close();
    }
  }, 90_000);
});
