import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { verifyChain } from '../../src/ports/audit-chain.js';
import type { Store } from '../../src/ports/store.js';
import { aMember, anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { codeOf } from '../../src/store/conformance/harness.js';
import { PG_MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { closedPortUrl } from '../support/connectors.js';
import { PostgresTestServer } from '../support/postgres-server.js';

describe('PostgreSQL store: migrations, replicas and connections', () => {
  let server: PostgresTestServer;
  let admin: pg.Client;
  let n = 0;
  const schema = () => `s${++n}`;
  beforeAll(async () => {
    server = await PostgresTestServer.start();
    admin = new pg.Client({ connectionString: server.url() });
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    await server?.dispose();
  });

  it('when several replicas open one new database at once, then one migrates under the lock and all of them work on the same tables', async () => {
    const s = schema();
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore({ url: server.url(), schema: s, poolSize: 2 })));
    try {
      const org = anOrg();
      await stores[0]!.createOrg(org, draft(org.id, 'org.created', org.id));
      for (const store of stores) expect((await store.getOrg(org.id))?.id).toBe(org.id);
      const { rows } = await admin.query(`SELECT version FROM ${s}.schema_migrations ORDER BY version`);
      expect(rows.map((r: { version: number }) => r.version)).toEqual(PG_MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all(stores.map((st) => st.close()));
    }
  });

  it('when the database was migrated by a newer idsync, then opening it is refused as store.corrupt and nothing is changed', async () => {
    const s = schema();
    await (await openPostgresStore({ url: server.url(), schema: s })).close();
    const newer = Math.max(...PG_MIGRATIONS.map((m) => m.version)) + 1;
    await admin.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, 'from the future')`, [newer]);
    const opening = openPostgresStore({ url: server.url(), schema: s });
    await expect(opening).rejects.toMatchObject({ code: 'store.corrupt', message: expect.stringContaining(`version ${newer}, newer than this idsync knows`) });
    const { rows } = await admin.query(`SELECT count(*)::int AS n FROM ${s}.schema_migrations`);
    expect(rows[0].n).toBe(PG_MIGRATIONS.length + 1);
  });

  describe('two replicas, each with its own pool, on one schema', () => {
    let a: Store;
    let b: Store;
    beforeAll(async () => {
      const s = schema();
      a = await openPostgresStore({ url: server.url(), schema: s, poolSize: 5 });
      b = await openPostgresStore({ url: server.url(), schema: s, poolSize: 5 });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it('when both append to one org concurrently, then the audit chain has no fork and a userName race has one winner', async () => {
      const org = anOrg();
      await a.createOrg(org, draft(org.id, 'org.created', org.id));
      const writes = Array.from({ length: 60 }, (_, i) => (i % 2 ? a : b).appendAudit(draft(org.id, 'test.event', `e${i}`)));
      const creates = Array.from({ length: 40 }, (_, i) =>
        codeOf((i % 2 ? a : b).createMember(aMember(org.id, { userName: i % 3 ? 'Same@Race.example' : 'same@race.EXAMPLE' }), draft(org.id, 'member.created', `m${i}`))),
      );
      await Promise.all(writes);
      const outcomes = await Promise.all(creates);
      expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'member.user_name_taken')).toHaveLength(39);
      const events = [...(await a.listAudit(org.id, { limit: 1000 }))];
      expect(events).toHaveLength(1 + 60 + 1);
      expect(verifyChain(events)).toMatchObject({ ok: true, head: { seq: 62 } });
      expect((await b.listOutbox(org.id, { limit: 1000 })).map((o) => o.id)).toEqual(events.map((e) => e.id));
    });

    it('when both race for a lease, then exactly one holds it', async () => {
      const wins = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).tryAcquireLease('tick:x', `replica-${i}`, 30_000)));
      expect(wins.filter(Boolean)).toHaveLength(1);
    });
  });

  it('when the URL has no password, then the separate password is used; a wrong one is store.unavailable', async () => {
    const bare = server.url().replace(`:${PostgresTestServer.password}@`, '@');
    const store = await openPostgresStore({ url: bare, password: PostgresTestServer.password, schema: schema() });
    await store.ping();
    await store.close();
    expect(await codeOf(openPostgresStore({ url: bare, password: 'wrong', schema: schema() }))).toBe('store.unavailable');
  });

  it('when nothing listens at the address, then opening fails fast with store.unavailable', async () => {
    const url = (await closedPortUrl()).replace(/^http:/, 'postgres:');
    const started = Date.now();
    expect(await codeOf(openPostgresStore({ url: `${url}/idsync`, connectTimeoutMs: 2000 }))).toBe('store.unavailable');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
