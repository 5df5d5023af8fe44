/**
 * The reconcile metrics a real run produces: API calls by provider and outcome, and the time from
 * the upstream change to the local deactivation (dated by Graph's deletedItems where it can be).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import type { Actor } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import { createReconcileMetrics } from '../../src/runtime/reconcile-metrics.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { GraphFake } from '../fakes/graph-fake.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const ACTOR: Actor = { kind: 'cli', label: 'metrics test' };

describe('reconcile metrics from real runs against a local Microsoft Graph', () => {
  let fake: GraphFake;
  let store: Store;
  let services: Services;
  let registry: Registry;
  let connId: string;
  let orgId: string;

  beforeAll(async () => {
    fake = await new GraphFake({ users: 12, tenantId: TENANT, clientId: CLIENT, clientSecret: 's' }).start();
    store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'idsync-metrics-')), 'idsync.db') });
    registry = new Registry();
    services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 3), onRunFinished: createReconcileMetrics(registry) });
    const org = await services.orgs.create({ name: 'Metered' }, ACTOR);
    orgId = org.id;
    for (let i = 0; i < 12; i++) await services.members.create(org.id, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR);
    const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: 's', graphBaseUrl: fake.url, authorityHost: fake.url };
    connId = (await services.connections.create(org.id, { provider: 'microsoft', config, policy: { maxDeactivations: 10, maxDeactivationPercent: 100 } }, ACTOR)).id;
    expect(await services.reconcile.run(connId)).toMatchObject({ status: 'completed', linked: 12 });
  });
  afterAll(async () => {
    await fake.stop();
    await store.close();
  });

  const sample = async (name: string, labels: string) => {
    const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  };

  it('when a run talks to the directory, then API calls are counted by provider and outcome', async () => {
    expect(await sample('idsync_directory_api_calls_total', 'provider="microsoft",status="2xx"')).toBeGreaterThanOrEqual(2);
    fake.server.inject('users.delta', { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'slow down' } } }, 1);
    await services.reconcile.run(connId);
    expect(await sample('idsync_directory_api_calls_total', 'provider="microsoft",status="429"')).toBe(1);
  });

  it('when users are offboarded upstream, then the lag to deactivation is observed: dated by deletedItems, else bounded by the previous read', async () => {
    fake.remove(3, 'changed');
    fake.disable(4);
    const run = await services.reconcile.run(connId);
    expect(run).toMatchObject({ deactivated: 2, listingMode: 'delta' });
    expect(await sample('idsync_reconcile_offboarding_lag_seconds_count', 'provider="microsoft",source="directory"')).toBe(1);
    expect(await sample('idsync_reconcile_offboarding_lag_seconds_count', 'provider="microsoft",source="previous_read"')).toBe(1);
    // Both happened moments ago: every observation falls in the first bucket (one minute).
    expect(await sample('idsync_reconcile_offboarding_lag_seconds_bucket', 'le="60",provider="microsoft",source="directory"')).toBe(1);
    expect(await sample('idsync_reconcile_offboarding_lag_seconds_bucket', 'le="60",provider="microsoft",source="previous_read"')).toBe(1);
  });

  it('when a run lists the directory, then progress reports pages read and users seen, ending at the totals', async () => {
    fake.expireDeltaTokens();
    const seen: { users: number; pages: number }[] = [];
    const run = await services.reconcile.run(connId, { dryRun: true, onProgress: (p) => seen.push(p) });
    expect(run.listingMode).toBe('full');
    expect(seen.at(-1)).toEqual({ users: run.listed, pages: 1 });
  });

  it('when a run fails terminally, then the connection status says action_required and the terminal failure is counted by code', async () => {
    const status = (s: string) => sample('idsync_reconcile_connection_status', `connection="${connId}",org="${orgId}",provider="microsoft",status="${s}"`);
    fake.server.inject('users.delta', { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } } }, 1000);
    fake.server.inject('users.list', { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } } }, 1000);
    const failed = await services.reconcile.run(connId);
    fake.server.clearFaults();
    expect(failed.failure).toMatchObject({ class: 'terminal', code: 'connector.auth_failed' });
    expect(await status('action_required')).toBe(1);
    expect(await status('incomplete')).toBe(0);
    expect(await sample('idsync_reconcile_terminal_failures_total', 'provider="microsoft",code="connector.auth_failed"')).toBe(1);
    await services.reconcile.run(connId);
    expect([await status('action_required'), await status('completed')]).toEqual([0, 1]);
  });
});

