/**
 * bench/directory: list N users (default 100,000) from the local fake of one provider at maximum
 * page size, over real HTTP, and print one JSON line: users, pages, API calls (and the minimum they
 * must equal), wall time and peak RSS of this process. The fake runs in a child process.
 * Usage (through bench/run.mjs): node directory.js <google|microsoft|github|github-nosaml> [N]
 */
import { createBuiltinRegistry } from '../src/connectors/index.js';
import { systemClock } from '../src/ports/clock.js';
import type { DirectoryConnector } from '../src/ports/directory.js';
import type { Logger } from '../src/ports/logger.js';
import { benchKeys, connectorConfig, minimumCalls, parseKind, peakRssMiB, startFake } from './harness.js';

const kind = parseKind(process.argv[2]);
const N = Number(process.argv[3] ?? 100_000);

const silent: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => silent };

function open(url: string, privateKeyPem: string): DirectoryConnector {
  const { provider, config } = connectorConfig(kind, url, privateKeyPem);
  const factory = createBuiltinRegistry().get(provider);
  return factory.open(factory.parseConfig(config), { logger: silent, clock: systemClock, limits: { maxRequests: 10_000, deadlineMs: 30 * 60_000 } });
}

const keys = benchKeys(kind);
const fake = await startFake(kind, N, keys.publicKeyPem);
try {
  const connector = open(fake.url, keys.privateKeyPem);
  const rssBefore = process.memoryUsage.rss();
  const started = process.hrtime.bigint();
  const listing = connector.listUsers();
  let users = 0;
  for await (const _ of listing) users += 1;
  const result = await listing.done;
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const min = minimumCalls(kind, N);
  const out = {
    provider: kind,
    users,
    complete: result.complete,
    pages: result.pages,
    apiCalls: result.counters.apiCalls,
    authCalls: result.counters.authCalls,
    minimumCalls: min.calls,
    formula: min.formula,
    callsAtMinimum: result.counters.apiCalls === min.calls,
    wallMs: Math.round(wallMs),
    usersPerSecond: Math.round(users / (wallMs / 1000)),
    rssBeforeMiB: +(rssBefore / 2 ** 20).toFixed(1),
    peakRssMiB: peakRssMiB(),
    ...(result.error ? { error: result.error } : {}),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  if (!result.complete || !out.callsAtMinimum || users !== N) process.exitCode = 1;
} finally {
  fake.stop();
}
