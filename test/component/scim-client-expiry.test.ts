import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { createLogger } from '../../src/logging/winston-logger.js';
import type { Store } from '../../src/ports/store.js';
import { scimClientExpiryJob } from '../../src/runtime/scim-client-expiry.js';
import { createServices } from '../../src/services/index.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { logSink } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES, type StoreKind } from '../support/scim.js';
import { adjustableClock } from '../support/services.js';

const ACTOR = { kind: 'cli' as const };

describe.each(STORES)('SCIM client secret expiry warnings on %s', (kind: StoreKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let n = 0;

  beforeAll(async () => {
    if (kind === 'redis') redis = await RedisTestServer.start();
  }, 30_000);
  afterEach(async () => store.close());
  afterAll(async () => redis?.dispose());

  function setUp() {
    store = kind === 'redis' ? createRedisStore({ connection: { url: redis!.url }, keyPrefix: `expiry${n++}` }) : openSqliteStore({ path: ':memory:' });
    const clock = adjustableClock('2026-03-01T08:00:00.000Z');
    const logs = logSink();
    const logger = createLogger({ level: 'info', format: 'json', stream: logs.stream });
    const services = createServices({ store, clock, logger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 7), publicUrl: 'https://idsync.test' });
    const warnings = () => logs.records().filter((r) => String(r.message).includes('client secret expires soon'));
    return { clock, services, warnings };
  }

  it('when a secret comes within 20 days of expiry, then each scan reports it and the first scan of each day logs once and audits once', async () => {
    const { clock, services, warnings } = setUp();
    const org = await services.orgs.create({ name: 'Expiring' }, ACTOR);
    const c = await services.scimClients.create(org.id, ACTOR, { secretTtlDays: 30 });
    expect(await services.scimClientExpiry.scan()).toEqual([]);

    clock.advanceHours(9 * 24);
    expect(await services.scimClientExpiry.scan()).toEqual([]);
    clock.advanceHours(24);
    const first = await services.scimClientExpiry.scan();
    expect(first).toEqual([expect.objectContaining({ orgId: org.id, clientId: c.clientId, warnedToday: true })]);
    expect(first[0]!.secondsLeft).toBeLessThanOrEqual(20 * 86_400);
    expect(first[0]!.secondsLeft).toBeGreaterThan(19 * 86_400);
    const again = await services.scimClientExpiry.scan();
    expect(again.map((s) => s.warnedToday)).toEqual([false]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ level: 'warn', orgId: org.id, clientId: c.clientId });

    clock.advanceHours(24);
    expect((await services.scimClientExpiry.scan()).map((s) => s.warnedToday)).toEqual([true]);
    expect(warnings()).toHaveLength(2);
    const audited = (await services.audit.list(org.id, { limit: 1000 })).filter((e) => e.action === 'scim_client.secret_expiring');
    expect(audited).toHaveLength(2);
    expect(audited[0]!.actor.kind).toBe('system');
  });

  it('when the expiring secret is rotated out and revoked, then the warnings stop', async () => {
    const { clock, services, warnings } = setUp();
    const org = await services.orgs.create({ name: 'Rotating' }, ACTOR);
    const c = await services.scimClients.create(org.id, ACTOR, { secretTtlDays: 15 });
    expect(await services.scimClientExpiry.scan()).toHaveLength(1);
    await services.scimClients.rotate(org.id, c.clientId, ACTOR);
    await services.scimClients.revokeSecret(org.id, c.clientId, c.client.secrets[0]!.id, ACTOR);
    clock.advanceHours(24);
    expect(await services.scimClientExpiry.scan()).toEqual([]);
    expect(warnings()).toHaveLength(1);
  });

  it('when the periodic job scans, then the gauge carries the seconds left per org, client and secret', async () => {
    const { services } = setUp();
    const org = await services.orgs.create({ name: 'Gauged' }, ACTOR);
    const c = await services.scimClients.create(org.id, ACTOR, { secretTtlDays: 10 });
    await services.scimClients.create(org.id, ACTOR);
    const registry = new Registry();
    const job = scimClientExpiryJob(services.scimClientExpiry, registry, { store, logger: createLogger({ level: 'error', format: 'json', stream: logSink().stream }), holder: 'test' });
    await job.tick();
    const metric = await registry.getSingleMetric('idsync_scim_client_secret_expiry_seconds')!.get();
    expect(metric.values).toHaveLength(1);
    expect(metric.values[0]!.labels).toEqual({ org: org.id, client: c.clientId, secret: c.client.secrets[0]!.id });
    expect(metric.values[0]!.value).toBeGreaterThan(9 * 86_400);
  });
});
