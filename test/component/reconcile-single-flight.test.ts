import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { openStore } from '../../src/app/open-store.js';
import { loadConfig } from '../../src/config/load.js';
import type { AuditEvent, Member, Organization } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import type { Store } from '../../src/ports/store.js';
import type { GraphFake } from '../fakes/graph-fake.js';
import type { ApiClient } from '../support/api-client.js';
import { heldRunInstall } from '../support/graph-connection.js';
import { STORES } from '../support/scim.js';

type Summary = { runId: string; status: string; dryRun: boolean; held: number; deactivated: number };
type Run = { id: string; status: string; trigger: string; dryRun: boolean; error?: { code: string; message: string } };
type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };

const LISTINGS = ['users.list', 'users.delta'] as const;

/**
 * One real run of a connection at a time, whoever starts it: two at once would each spend their
 * own deactivation budget. Admin runs (API, console, CLI) and approvals used to run beside the
 * scheduled ones. And a run its process left `running` is closed by the next one.
 */
describe.each(STORES)('one real reconcile run of a connection at a time, on %s', (kind) => {
  let install: Awaited<ReturnType<typeof heldRunInstall>>;
  let api: ApiClient;
  let fake: GraphFake;
  let key: string;
  let org: Organization;
  let connId: string;
  let store: Store;
  let users: Member[];

  beforeAll(async () => {
    install = await heldRunInstall(kind);
    ({ api, fake, key, org, connId, users } = install);
    store = await openStore(loadConfig({ env: install.f.env, cwd: install.f.cwd }), silentLogger);
  });
  afterAll(async () => {
    await store.close();
    await install.dispose();
  });

  const runs = () => install.runs;
  const listRuns = async () => (await api.call<{ items: Run[] }>('get', `${runs()}?limit=100`, key)).body.items;
  const slowListing = (ms: number) => {
    for (const route of LISTINGS) fake.server.inject(route, { rewrite: (r) => r, delayMs: ms }, 1);
  };
  const failingListing = () => {
    for (const route of LISTINGS) fake.server.inject(route, { status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } }, 20);
  };
  /** A real run started in the background, once its record says it is running. */
  const startSlowRun = async () => {
    const before = new Set((await listRuns()).map((r) => r.id));
    slowListing(1500);
    const pending = api.call<Summary>('post', runs(), key, {});
    for (let i = 0; i < 100; i++) {
      const started = (await listRuns()).find((r) => !before.has(r.id) && r.status === 'running');
      if (started) return { pending, id: started.id };
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('the slow run never showed as running');
  };
  const audit = async (action: string, target: string) =>
    (await api.call<{ items: AuditEvent[] }>('get', `/orgs/${org.id}/audit?action=${action}&target=${target}&limit=100`, key)).body.items;

  it('when a real run is in progress and an admin starts another, then it answers 409 run.in_progress naming the run in progress, while a dry run goes ahead', async () => {
    // Arrange
    const slow = await startSlowRun();

    // Act
    const second = await api.call<ErrorBody>('post', runs(), key, {});
    const dry = await api.call<Summary>('post', runs(), key, { dryRun: true });

    // Assert
    expect(second.status).toBe(409);
    expect(second.body.error).toMatchObject({ code: 'run.in_progress', message: expect.stringContaining(slow.id) });
    expect(dry.status).toBe(201);
    expect(dry.body.dryRun).toBe(true);
    expect((await slow.pending).body).toMatchObject({ runId: slow.id, status: 'completed' });
    fake.server.clearFaults();
    // Once it has finished, the next real run goes.
    expect((await api.call<Summary>('post', runs(), key, {})).status).toBe(201);
  });

  it('when a held run is approved while another run is in progress, then 409 run.in_progress, the run stays held, and approving it afterwards works', async () => {
    // Arrange
    fake.disable(1);
    const held = (await api.call<Summary>('post', runs(), key, {})).body;
    expect(held).toMatchObject({ status: 'held', held: 1 });
    const slow = await startSlowRun();

    // Act
    const early = await api.call<ErrorBody>('post', `/orgs/${org.id}/runs/${held.runId}/approve`, key, {});
    await slow.pending;
    fake.server.clearFaults();
    const later = await api.call<Summary>('post', `/orgs/${org.id}/runs/${held.runId}/approve`, key, {});

    // Assert
    expect([early.status, early.body.error.code]).toEqual([409, 'run.in_progress']);
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({ deactivated: 1 });
    expect((await api.call<Run>('get', `/orgs/${org.id}/runs/${held.runId}`, key)).body.status).toBe('approved');
    expect((await audit('reconcile.approved', held.runId)).length).toBe(1);
  });

  it('when the approval run fails (the directory refuses the listing: 403), then the held run is held again, audited reconcile.approval_failed, and can be approved once the directory answers', async () => {
    // Arrange
    fake.disable(2);
    const held = (await api.call<Summary>('post', runs(), key, {})).body;
    expect(held).toMatchObject({ status: 'held' });
    failingListing();

    // Act
    const failed = await api.call<Summary>('post', `/orgs/${org.id}/runs/${held.runId}/approve`, key, {});
    fake.server.clearFaults();

    // Assert
    expect(failed.status).toBe(200);
    // The listing could not be read: the run is incomplete (or failed) and deactivates no one.
    expect(['incomplete', 'failed']).toContain(failed.body.status);
    expect(failed.body.deactivated).toBe(0);
    expect((await api.call<Run>('get', `/orgs/${org.id}/runs/${held.runId}`, key)).body.status).toBe('held');
    const [event] = await audit('reconcile.approval_failed', held.runId);
    expect(event?.after).toMatchObject({ approvalRunId: failed.body.runId });
    expect((await api.call<Member>('get', `/orgs/${org.id}/members/${users[2]!.id}`, key)).body.status).toBe('active');
    const again = await api.call<Summary>('post', `/orgs/${org.id}/runs/${held.runId}/approve`, key, {});
    expect([again.status, again.body.deactivated]).toEqual([200, 1]);
    expect((await api.call<Member>('get', `/orgs/${org.id}/members/${users[2]!.id}`, key)).body.status).toBe('inactive');
  });

  it('when a run was left running by a process that died, then the next real run closes it as failed run.interrupted, audited', async () => {
    // Arrange: what a process killed mid-run leaves behind: its run record, running, and its slot, expired.
    const stale = randomUUID();
    const at = new Date(Date.now() - 60_000).toISOString();
    await store.createRun({ id: stale, orgId: org.id, connectionId: connId, dryRun: false, status: 'running', trigger: 'manual', startedAt: at, summary: {}, plan: [], updatedAt: at, version: 1 });

    // Act
    const next = await api.call<Summary>('post', runs(), key, {});

    // Assert
    expect(next.status).toBe(201);
    const closed = (await api.call<Run>('get', `/orgs/${org.id}/runs/${stale}`, key)).body;
    expect(closed.status).toBe('failed');
    expect(closed.error).toMatchObject({ code: 'run.interrupted', message: expect.stringContaining(next.body.runId) });
    expect((await audit('reconcile.interrupted', stale)).map((e) => e.actor.kind)).toEqual(['system']);
  });
});
