/**
 * The fault matrix: an upstream outage, throttling or a half-read listing never deactivates anyone.
 * Every case is a real reconcile (in-process services, real SQLite or a real Redis) against a
 * local directory over HTTP, started from a linked state (30 members, a first clean run linked
 * them), with a policy whose budget lets everything through and whose confirmMissingRuns is 1: the
 * harshest setting, so only the guards for incomplete or implausible listings (and the point
 * lookups) stand between the fault and a deactivation.
 *
 * Connector waits are virtual: the connector's sleep moves its own clock forward instead of
 * waiting, so a 429 storm with Retry-After: 30 runs into the run deadline in milliseconds.
 * Request timeouts and cancellation are real.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_CONNECTORS } from '../../src/connectors/index.js';
import { createConnectorRegistry } from '../../src/connectors/registry.js';
import type { GuardVerdict } from '../../src/domain/reconcile-plan.js';
import type { Actor, Member } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock } from '../../src/ports/clock.js';
import type { ConnectorLimits, ConnectorRegistry } from '../../src/ports/directory.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import type { RecordedAction, RunSummary } from '../../src/services/reconcile/service.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { MEMBERS, startDirectory, type FakeProvider, type FaultyDirectory, type ListingFault } from '../fakes/directory-faults.js';
import { rsaKeys } from '../support/connectors.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';

const keys = rsaKeys();
const ACTOR: Actor = { kind: 'cli', label: 'fault matrix' };
const POLICY = { maxDeactivations: 100, maxDeactivationPercent: 100, confirmMissingRuns: 1 };
const BASE_LIMITS: ConnectorLimits = { requestTimeoutMs: 5_000, maxRetries: 2, maxRequests: 500, deadlineMs: 120_000, baseDelayMs: 200, maxDelayMs: 10_000 };
const PROVIDERS: FakeProvider[] = ['google', 'microsoft', 'github'];
const OFFBOARDED = 5;

type Status = RunSummary['status'];
interface Expected {
  status: Status;
  code?: string;
  guard?: [GuardVerdict['guard'], boolean];
  /** Deactivations a guard holds (a held run may hold none: a suspect listing with nobody to deactivate). */
  held?: boolean;
}

interface Row {
  fault: string;
  /** No fault: the positive control (user OFFBOARDED leaves upstream). */
  kind?: ListingFault;
  times?: number;
  lookupsFail?: boolean;
  delayMs?: number;
  limits?: ConnectorLimits;
  /** Cancel the run (its AbortSignal) the moment the fault is served. */
  abort?: boolean;
  /** Runs in a row, the fault injected before each (the last one is checked). */
  runs?: number;
  providers?: FakeProvider[];
  /** `full`: the run read a full listing (Graph may read a delta round, where absence means nothing). */
  expect: (provider: FakeProvider, full: boolean) => Expected;
}

const incomplete = (code: string): Expected => ({ status: 'incomplete', code, guard: ['listing_complete', false] });
/**
 * A complete listing that shrank: the size-drop guard trips on a full listing, and the run is held
 * for an admin even when the point lookups found everyone present (nothing to deactivate).
 */
const shrunk = (full: boolean, withHeld: boolean): Expected => ({ status: full ? 'held' : 'completed', guard: ['size_drop', !full], held: full && withHeld });
const NO_TOKEN: FakeProvider[] = ['google', 'microsoft'];

const ROWS: Row[] = [
  { fault: 'a 429 storm with Retry-After on every listing request', kind: 'storm', times: 1000, expect: () => incomplete('connector.throttled') },
  { fault: 'a quota 403 on every listing request (Graph: 503 with Retry-After)', kind: 'quota', times: 1000, expect: (p) => incomplete(p === 'microsoft' ? 'connector.upstream_error' : 'connector.throttled') },
  { fault: 'page 1 fine, then persistent 500s on page 2', kind: 'serverError', times: 1000, expect: () => incomplete('connector.upstream_error') },
  { fault: 'page 2 slower than the request timeout, every attempt', kind: 'slowPage', times: 1000, delayMs: 1_500, limits: { requestTimeoutMs: 300 }, expect: () => incomplete('connector.unreachable') },
  { fault: 'the run cancelled by its signal while page 2 hangs', kind: 'slowPage', times: 1, delayMs: 20_000, abort: true, expect: () => incomplete('connector.aborted') },
  { fault: 'an expired page token on page 2, once', kind: 'expiredToken', times: 1, providers: NO_TOKEN, expect: () => ({ status: 'completed', guard: ['listing_complete', true] }) },
  { fault: 'an expired page token on page 2, again after the restart', kind: 'expiredToken', times: 2, providers: NO_TOKEN, expect: () => incomplete('connector.incomplete') },
  { fault: 'an empty 200 listing with no next page', kind: 'empty', times: 1, expect: (_, full) => shrunk(full, false) },
  { fault: 'an empty 200 listing while point lookups fail', kind: 'empty', times: 1, lookupsFail: true, expect: (_, full) => shrunk(full, true) },
  { fault: 'an empty 200 listing twice in a row while point lookups fail', kind: 'empty', times: 1, runs: 2, lookupsFail: true, expect: (_, full) => shrunk(full, true) },
  { fault: 'page 2 answered without a next link (a third of the users silently cut)', kind: 'truncated', times: 1, expect: (_, full) => shrunk(full, false) },
  { fault: 'a silently truncated listing while point lookups fail', kind: 'truncated', times: 1, lookupsFail: true, expect: (_, full) => shrunk(full, true) },
  { fault: 'no fault while one user really leaves upstream', expect: () => ({ status: 'completed', guard: ['listing_complete', true] }) },
];

/**
 * Microsoft twice: as the reconciler reads it after a linked run (users list, or a delta round
 * once delta sync is in), and with the stored delta cursor refused so that a full round meets the
 * fault (the same as a users-list run where delta is not used).
 */
const TARGETS: { provider: FakeProvider; target: string; resync?: boolean }[] = [
  { provider: 'google', target: 'google' },
  { provider: 'microsoft', target: 'microsoft' },
  { provider: 'microsoft', target: 'microsoft (delta cursor refused: full round)', resync: true },
  { provider: 'github', target: 'github' },
];
const CASES = ROWS.flatMap((row) => TARGETS.filter((t) => (row.providers ?? PROVIDERS).includes(t.provider)).map((t) => ({ ...row, ...t })));

/** The built-in connectors with test limits and a virtual clock per run (waits advance it). */
function pacedRegistry(limits: () => ConnectorLimits): ConnectorRegistry {
  return createConnectorRegistry(
    BUILTIN_CONNECTORS.map((f) => ({
      ...f,
      open: (config: Parameters<typeof f.open>[0], deps: Parameters<typeof f.open>[1]) => {
        let skew = 0;
        const real = deps.clock;
        const sleep = async (ms: number) => {
          skew += ms;
          await new Promise((r) => setImmediate(r));
        };
        return f.open(config, { ...deps, limits: limits(), clock: { now: () => new Date(real.now().getTime() + skew) }, sleep });
      },
    })),
  );
}

describe.each(STORES)('reconcile fault matrix on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let services: Services;
  let limits: ConnectorLimits = BASE_LIMITS;

  beforeAll(async () => {
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      store = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'faults' });
    } else {
      store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'idsync-faults-')), 'idsync.db') });
    }
    services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: pacedRegistry(() => limits), secretKey: Buffer.alloc(32, 7) });
  });
  afterAll(async () => {
    await store.close();
    await redis?.dispose();
  });

  /** An org whose members a first clean run linked to their directory ids. */
  async function linkedOrg(dir: FaultyDirectory) {
    const org = await services.orgs.create({ name: `${dir.provider} fault org` }, ACTOR);
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) members.push(await services.members.create(org.id, { email: dir.emailOf(i), role: i === 0 ? 'owner' : 'member' }, ACTOR));
    const conn = await services.connections.create(org.id, { provider: dir.provider, config: dir.config, policy: POLICY }, ACTOR);
    const first = await services.reconcile.run(conn.id);
    expect(first).toMatchObject({ status: 'completed', linked: MEMBERS, deactivated: 0 });
    return { org, conn, members };
  }

  async function deactivatedIn(orgId: string): Promise<{ inactive: string[]; audited: string[] }> {
    const inactive = (await store.listMembers(orgId, { statuses: ['inactive'] })).items.map((m) => m.id);
    const audited = (await store.listAudit(orgId, { limit: 10_000 })).filter((e) => e.action === 'member.deactivated').map((e) => e.target.id);
    return { inactive, audited };
  }

  it.each(CASES)('when $target meets $fault, then no one is wrongly deactivated and the run says why', async (c) => {
    const dir = await startDirectory(c.provider, keys);
    try {
      const { org, conn, members } = await linkedOrg(dir);
      if (c.lookupsFail) expect(dir.inject('lookups', 1000)).toBe(true);
      if (!c.kind) dir.offboard(OFFBOARDED);
      limits = { ...BASE_LIMITS, ...c.limits };
      let summary: RunSummary | undefined;
      for (let run = 0; run < (c.runs ?? 1); run++) {
        dir.touchAll();
        if (c.resync) dir.rejectDeltaCursor();
        const cancel = new AbortController();
        if (c.kind) expect(dir.inject(c.kind, c.times ?? 1, { ...(c.delayMs ? { delayMs: c.delayMs } : {}), ...(c.abort ? { onServe: () => cancel.abort() } : {}) })).toBe(true);
        summary = await services.reconcile.run(conn.id, c.abort ? { signal: cancel.signal } : {});
      }
      if (!summary) throw new Error('no run');

      const want = c.expect(c.provider, summary.listingMode !== 'delta');
      const offboarded = c.kind ? [] : [members[OFFBOARDED]!.id];
      expect(await deactivatedIn(org.id)).toEqual({ inactive: offboarded, audited: offboarded });
      expect(summary.deactivated).toBe(offboarded.length);
      if (c.kind) expect(dir.faultsServed()).toBeGreaterThan(0);
      expect({ status: summary.status, code: summary.error?.code }).toEqual({ status: want.status, code: want.code });
      if (want.guard) expect(summary.guards.find((g) => g.guard === want.guard![0])?.passed).toBe(want.guard[1]);
      if (want.held) expect(summary.held).toBeGreaterThan(0);
      else expect(summary.held).toBe(0);
      const recorded = await store.getRun(summary.runId);
      expect(recorded).toMatchObject({ status: want.status, ...(want.code ? { error: { code: want.code } } : {}) });
      // Whatever the fault made the planner want, it is held by a guard, never applied.
      const planned = (recorded?.plan ?? []) as RecordedAction[];
      const outcomes = new Set(planned.filter((a) => a.kind === 'deactivate').map((a) => (a.outcome.status === 'held' ? a.outcome.by : a.outcome.status)));
      expect([...outcomes]).toEqual(c.kind ? (want.held ? [want.guard![0]] : []) : ['applied']);
    } finally {
      limits = BASE_LIMITS;
      await dir.stop();
    }
  });

  it('when an empty 200 listing holds a run with nobody to deactivate, then the run can be rejected or approved, and a later normal listing completes', async () => {
    const dir = await startDirectory('google', keys);
    try {
      const { org, conn } = await linkedOrg(dir);
      expect(dir.inject('empty', 1)).toBe(true);
      const rejected = await services.reconcile.run(conn.id);
      expect(rejected).toMatchObject({ status: 'held', deactivated: 0, held: 0 });
      expect(await services.reconcile.reject(rejected.runId, ACTOR)).toMatchObject({ status: 'rejected' });
      expect(dir.inject('empty', 1)).toBe(true);
      const held = await services.reconcile.run(conn.id);
      expect(held.status).toBe('held');
      // Approval re-plans from a fresh listing, which is whole again.
      const approval = await services.reconcile.approve(held.runId, ACTOR);
      expect(approval).toMatchObject({ status: 'completed', deactivated: 0 });
      expect(await store.getRun(held.runId)).toMatchObject({ status: 'approved' });
      expect(await services.reconcile.run(conn.id)).toMatchObject({ status: 'completed', deactivated: 0, held: 0 });
      expect(await deactivatedIn(org.id)).toEqual({ inactive: [], audited: [] });
    } finally {
      await dir.stop();
    }
  });
});
