/**
 * bench/directory: list N users (default 100,000) from the local fake of one provider at maximum
 * page size, over real HTTP, and print one JSON line: users, pages, API calls (and the minimum they
 * must equal), wall time and peak RSS of this process. The fake runs in a child process.
 * Usage (through bench/run.mjs): node directory.js <google|microsoft|github|github-nosaml> [N]
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createBuiltinRegistry } from '../src/connectors/index.js';
import { systemClock } from '../src/ports/clock.js';
import type { DirectoryConnector } from '../src/ports/directory.js';
import type { Logger } from '../src/ports/logger.js';
import { BENCH } from './identities.js';

const kind = process.argv[2] ?? 'google';
const N = Number(process.argv[3] ?? 100_000);

const silent: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => silent };

/** Calls a complete listing of N users must cost, at best, with the page sizes the APIs allow. */
function minimumCalls(): { calls: number; formula: string } {
  const pages = (size: number) => Math.max(1, Math.ceil(N / size));
  switch (kind) {
    case 'google':
      return { calls: pages(500) + 1, formula: `ceil(N/500) + 1 token = ${pages(500)} + 1` };
    case 'microsoft':
      return { calls: pages(999) + 1, formula: `ceil(N/999) + 1 token = ${pages(999)} + 1` };
    case 'github':
      return { calls: pages(100) + 1 + pages(100) + 1, formula: `ceil(N/100) members + 1 admins page + ceil(N/100) SAML identities + 1 installation token = ${pages(100)} + 1 + ${pages(100)} + 1` };
    default:
      return { calls: pages(100) + 1 + 1 + 1, formula: `ceil(N/100) members + 1 admins page + 1 SAML query (no SAML) + 1 installation token = ${pages(100)} + 3` };
  }
}

async function startFake(publicKeyPem: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./fake-server.js', import.meta.url)), kind, String(N)], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.end(publicKeyPem);
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake exited with ${code}`)));
  });
  return { url: (JSON.parse(first) as { url: string }).url, stop: () => child.kill('SIGTERM') };
}

function open(url: string, privateKeyPem: string): DirectoryConnector {
  const registry = createBuiltinRegistry();
  const raw =
    kind === 'google'
      ? { adminEmail: BENCH.admin, serviceAccountKey: { type: 'service_account', client_email: BENCH.serviceAccount, private_key: privateKeyPem }, apiBaseUrl: url, tokenUrl: `${url}/token` }
      : kind === 'microsoft'
        ? { tenantId: BENCH.tenantId, clientId: BENCH.clientId, clientSecret: BENCH.clientSecret, graphBaseUrl: url, authorityHost: url }
        : { org: BENCH.org, appId: BENCH.appId, installationId: BENCH.installationId, privateKey: privateKeyPem, apiBaseUrl: url };
  const provider = kind.startsWith('github') ? 'github' : kind;
  const factory = registry.get(provider);
  return factory.open(factory.parseConfig(raw), { logger: silent, clock: systemClock, limits: { maxRequests: 10_000, deadlineMs: 30 * 60_000 } });
}

const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const fake = await startFake(publicKey.export({ format: 'pem', type: 'spki' }).toString());
try {
  const connector = open(fake.url, privateKey.export({ format: 'pem', type: kind.startsWith('github') ? 'pkcs1' : 'pkcs8' }).toString());
  const rssBefore = process.memoryUsage.rss();
  const started = process.hrtime.bigint();
  const listing = connector.listUsers();
  let users = 0;
  for await (const _ of listing) users += 1;
  const result = await listing.done;
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  const min = minimumCalls();
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
    peakRssMiB: +(process.resourceUsage().maxRSS / 1024).toFixed(1),
    ...(result.error ? { error: result.error } : {}),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  if (!result.complete || !out.callsAtMinimum || users !== N) process.exitCode = 1;
} finally {
  fake.stop();
}
