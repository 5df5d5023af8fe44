/**
 * bench/reconcile: the real reconciler (services on a SQLite file store, built-in connectors) over
 * a local fake directory of N users (default 100,000) for an org of M members (default 10,000,
 * user i's email, so the first run links them all). Three runs: a full one; one with nothing
 * changed (Graph: through the stored delta cursor); one after K users are suspended / disabled /
 * removed upstream (they must be deactivated). Prints one JSON line. The fake runs in a child process.
 * Usage (through bench/reconcile-run.mjs): node reconcile.js <google|microsoft|github|github-nosaml> [N] [M] [K]
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createBuiltinRegistry } from '../src/connectors/index.js';
import type { Actor } from '../src/domain/model.js';
import { silentLogger } from '../src/logging/winston-logger.js';
import { systemClock } from '../src/ports/clock.js';
import { createServices } from '../src/services/index.js';
import type { RunSummary } from '../src/services/reconcile/service.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { benchKeys, connectorConfig, fakeEmail, mib, minimumCalls, parseKind, peakRssMiB, startFake } from './harness.js';

const kind = parseKind(process.argv[2]);
const N = Number(process.argv[3] ?? 100_000);
const M = Math.min(N, Number(process.argv[4] ?? 10_000));
const K = Math.min(M - 1, Number(process.argv[5] ?? 5));
/** Members changed upstream before run 3 (index 0 is an admin in the GitHub fake; any member will do). */
const changed = Array.from({ length: K }, (_, j) => 1 + Math.floor((j * (M - 1)) / Math.max(1, K)));

interface Minimum {
  calls: number;
  formula: string;
}

interface RunRow {
  run: string;
  status: RunSummary['status'];
  listingMode: string;
  apiCalls: number;
  /** Calls by outcome ("2xx", "4xx", "network", …) where the summary has them: explains calls above the minimum. */
  apiCallsByStatus?: Readonly<Record<string, number>>;
  minimumCalls: number;
  formula: string;
  atMinimum: boolean;
  listed: number;
  matched: number;
  linked: number;
  deactivated: number;
  held: number;
  wallMs: number;
  /** The longest the event loop was blocked during the run (nothing else, e.g. a health check, is served then). */
  maxLoopStallMs: number;
  rssBeforeMiB: number;
  peakRssMiB: number;
  /** Heap still in use after the run once garbage is collected: what the run retains (0 without --expose-gc). */
  heapAfterGcMiB: number;
  error?: RunSummary['error'];
}

/** What run 2 (nothing changed) and run 3 (K changed) must cost at best. */
function laterMinimum(run: 2 | 3): Minimum {
  if (kind === 'microsoft') return { calls: 2, formula: '1 token + 1 delta page (only the deltaLink, or the changed users)' };
  const full = minimumCalls(kind, N);
  if (run === 3 && kind.startsWith('github')) return { calls: full.calls + 2 * K, formula: `${full.formula} + ${K} point lookups × 2 (user, membership)` };
  return full;
}

const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-reconcile-'));
const store = openSqliteStore({ path: join(dir, 'idsync.db') });
const services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: randomBytes(32) });
const actor: Actor = { kind: 'system', label: 'bench' };
const keys = benchKeys(kind);
const fake = await startFake(kind, N, keys.publicKeyPem, { control: true });

/** Read defensively: the summary's breakdown by outcome is optional (and newer than this bench). */
function byStatus(s: RunSummary): Pick<RunRow, 'apiCallsByStatus'> {
  const v = (s as { apiCallsByStatus?: Readonly<Record<string, number>> }).apiCallsByStatus;
  return v ? { apiCallsByStatus: v } : {};
}

/** With node --expose-gc (the runner passes it): each run starts from a collected heap, so a run's peak is its own. */
const gc = (globalThis as { gc?: () => void }).gc;

async function measure(run: string, min: Minimum, connectionId: string): Promise<RunRow> {
  gc?.();
  // A forced collection blocks the loop; let timers and socket events (an idle keep-alive socket the
  // fake closed) run first, as they would between two scheduled runs in the daemon.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const rssBefore = process.memoryUsage.rss();
  const stalls = monitorEventLoopDelay({ resolution: 10 });
  stalls.enable();
  const started = process.hrtime.bigint();
  const s = await services.reconcile.run(connectionId);
  const wallMs = Math.round(Number(process.hrtime.bigint() - started) / 1e6);
  stalls.disable();
  const peak = peakRssMiB();
  gc?.();
  return {
    run,
    status: s.status,
    listingMode: s.listingMode ?? 'n/a',
    apiCalls: s.apiCalls,
    ...byStatus(s),
    minimumCalls: min.calls,
    formula: min.formula,
    atMinimum: s.apiCalls === min.calls,
    listed: s.listed,
    matched: s.matched,
    linked: s.linked,
    deactivated: s.deactivated,
    held: s.held,
    wallMs,
    maxLoopStallMs: Math.round(stalls.max / 1e6),
    rssBeforeMiB: mib(rssBefore),
    peakRssMiB: peak,
    heapAfterGcMiB: gc ? mib(process.memoryUsage().heapUsed) : 0,
    ...(s.error ? { error: s.error } : {}),
  };
}

try {
  const org = await services.orgs.create({ name: `Bench ${kind}` }, actor);
  const seedStarted = Date.now();
  for (let i = 0; i < M; i++) await services.members.create(org.id, { email: fakeEmail(kind, i), givenName: `Given${i}`, familyName: `Family${i}` }, actor);
  const seedMs = Date.now() - seedStarted;
  const { provider, config } = connectorConfig(kind, fake.url, keys.privateKeyPem);
  const conn = await services.connections.create(org.id, { provider, config, policy: {} }, actor);

  const rows: RunRow[] = [];
  rows.push(await measure('1 full', minimumCalls(kind, N, 'delta'), conn.id));
  rows.push(await measure('2 unchanged', laterMinimum(2), conn.id));
  await fake.disable(changed);
  rows.push(await measure(`3 after ${K} ${kind === 'microsoft' ? 'disabled' : kind === 'google' ? 'suspended' : 'removed'}`, laterMinimum(3), conn.id));

  const active = (await services.members.list(org.id, { statuses: ['active'], limit: 1 })).total;
  const out = {
    provider: kind,
    users: N,
    members: M,
    changed: K,
    seedMs,
    seedPerSecond: Math.round(M / (seedMs / 1000)),
    activeAfter: active,
    runs: rows,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  const [r1, r2, r3] = rows as [RunRow, RunRow, RunRow];
  const ok =
    r1.status === 'completed' && r1.linked === (kind === 'github-nosaml' ? 0 : M) &&
    r2.status === 'completed' && (kind !== 'microsoft' || (r2.listingMode === 'delta' && r2.apiCalls <= 2)) &&
    r3.status === 'completed' && r3.deactivated === (kind === 'github-nosaml' ? 0 : K) &&
    rows.every((r) => r.atMinimum);
  if (!ok) process.exitCode = 1;
} finally {
  fake.stop();
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
