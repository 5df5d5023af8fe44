/**
 * Failures that say what they are: a terminal failure (credentials refused) stops scheduled runs
 * and shows what to fix until the connection is updated or tested; a retriable one (a 429 storm)
 * backs off and runs again. The in-process tick runner over a real SQLite store, services in this
 * process, the CLI in a child process on the same data directory, and a local Graph.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../src/app/open-store.js';
import { loadConfig } from '../../src/config/load.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import type { Organization } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import type { Store } from '../../src/ports/store.js';
import { InProcessTickRunner } from '../../src/runtime/in-process-runner.js';
import { MemoryBackoff } from '../../src/runtime/tick-runner.js';
import type { PublicConnection } from '../../src/services/connections/service.js';
import { createServices, type Services } from '../../src/services/index.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { GRAPH_CLIENT, GRAPH_SECRET, GRAPH_TENANT } from '../support/graph-install.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { adjustableClock } from '../support/services.js';

const UNAUTHORIZED = { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } } };
const THROTTLED = { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } } };
const BACKOFF_MS = 60_000;

describe('terminal and retriable reconcile failures under the in-process scheduler', () => {
  let fake: GraphFake;
  let cwd: string;
  let env: NodeJS.ProcessEnv;
  let store: Store;
  let services: Services;
  const clock = adjustableClock();
  let conn: string;
  let runner: InProcessTickRunner;
  let tick = Date.parse('2026-03-01T00:00:00.000Z');
  const fire = () => runner.fire(conn, new Date((tick += 1000)));
  const runs = async () => (await store.listRuns(conn, { limit: 1000 })).total;
  const listed = async () => (await cli(env, cwd, 'connections', 'list', '--json')).json<PublicConnection[]>().find((c) => c.id === conn)!;

  beforeAll(async () => {
    fake = await new GraphFake({ users: 5, tenantId: GRAPH_TENANT, clientId: GRAPH_CLIENT, clientSecret: GRAPH_SECRET }).start();
    cwd = tempDir();
    const secretKey = randomBytes(32);
    env = testEnv(join(cwd, 'data'), { IDSYNC_SECRET_KEY: secretKey.toString('base64') });
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Terminal', '--json')).json<Organization>();
    const config = join(cwd, 'graph.json');
    writeFileSync(config, JSON.stringify({ tenantId: GRAPH_TENANT, clientId: GRAPH_CLIENT, clientSecret: GRAPH_SECRET, graphBaseUrl: fake.url, authorityHost: fake.url }));
    conn = (await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', config, '--json')).json<{ id: string }>().id;
    store = await openStore(loadConfig({ env, cwd }), silentLogger);
    services = createServices({ store, clock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey });
    runner = new InProcessTickRunner({ store, logger: silentLogger, holder: 'test', clock, run: { reconcile: services.reconcile, runTimeoutMs: 20_000, backoff: new MemoryBackoff(BACKOFF_MS, clock) } });
  });
  afterAll(async () => {
    await runner.stop();
    await store.close();
    await fake.stop();
  });

  it('when the directory answers 401, then the run is terminal, later ticks do not run, and the connection says what to fix', async () => {
    fake.server.inject('users.delta', UNAUTHORIZED, 1000);
    fake.server.inject('users.list', UNAUTHORIZED, 1000);
    expect(await fire()).toBe('ran');
    const before = await runs();
    const last = await services.reconcile.getRun((await store.getConnection(conn))!.lastRunId!);
    expect(last.summary).toMatchObject({ error: { code: 'connector.auth_failed' }, failure: { class: 'terminal', code: 'connector.auth_failed' } });

    expect([await fire(), await fire(), await fire()]).toEqual(['action-required', 'action-required', 'action-required']);
    clock.advanceHours(2);
    expect(await fire()).toBe('action-required');
    expect(await runs()).toBe(before);

    const shown = await listed();
    expect(shown).toMatchObject({ health: 'action_required', actionRequired: { code: 'connector.auth_failed', hint: expect.stringContaining('connections update'), runId: last.id } });
    const table = await cli(env, cwd, 'connections', 'list');
    expect(table.stdout).toContain('action_required (connector.auth_failed)');
    expect(table.stdout).toContain('renew them');
  });

  it('when the credentials are updated, then the schedule resumes at the next tick', async () => {
    fake.server.clearFaults();
    const config = join(cwd, 'renewed.json');
    writeFileSync(config, JSON.stringify({ clientSecret: GRAPH_SECRET }));
    expect((await cli(env, cwd, 'connections', 'update', conn, '--config', config)).code).toBe(0);
    expect(await listed()).toMatchObject({ health: 'unknown' });
    expect((await listed()).actionRequired).toBeUndefined();
    expect(await fire()).toBe('ran');
    expect(await listed()).toMatchObject({ health: 'healthy' });
  });

  it('when a terminal failure is followed by a successful `connections test`, then the schedule resumes', async () => {
    fake.server.inject('users.delta', UNAUTHORIZED, 1000);
    fake.server.inject('users.list', UNAUTHORIZED, 1000);
    expect(await fire()).toBe('ran');
    expect(await fire()).toBe('action-required');
    fake.server.clearFaults();
    expect((await cli(env, cwd, 'connections', 'test', conn)).code).toBe(0);
    expect(await listed()).toMatchObject({ health: 'unknown' });
    expect(await fire()).toBe('ran');
  });

  it('when the directory throttles every request, then the run is retriable: the connection backs off, is never stopped, and runs again after the wait', async () => {
    fake.server.inject('users.delta', THROTTLED, 1000);
    fake.server.inject('users.list', THROTTLED, 1000);
    const before = await runs();
    expect(await fire()).toBe('ran');
    const last = await services.reconcile.getRun((await store.getConnection(conn))!.lastRunId!);
    expect(last).toMatchObject({ status: 'incomplete', summary: { failure: { class: 'retriable', code: 'connector.throttled' } } });
    expect(await fire()).toBe('backoff');
    expect((await listed()).health).not.toBe('action_required');
    clock.advanceHours(1);
    expect(await fire()).toBe('ran');
    expect(await runs()).toBe(before + 2);
    fake.server.clearFaults();
  });
});
