// The SCIM request log's own work per request, apart from HTTP: `npm run build && node bench/scim-log-cost.mjs`.
// Records N lookups as the router does (LoggedRequest: Okta's and Entra's lookups in turn, one
// token), then times each step of a flush as the recorder runs it, in its batches (BENCH_BATCH,
// the recorder's 1000): making the entries (entryOfRequest), making the batch's SQLite page
// (pagesOf, with its size), and appending the batches to a real SQLite file store (the page made
// again and inserted by the writer thread; CPU of the whole process, the thread's included).
// Prints µs per entry for each, to set beside a lookup's CPU time in bench/scim.mjs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryOfRequest, LoggedRequest } from '../dist/http/scim/request-log.js';
import { pagesOf } from '../dist/store/sqlite/scim-log-pages.js';
import { openSqliteStore } from '../dist/store/sqlite/store.js';
import { ENTRA_HEADERS, OKTA_HEADERS } from './idp-requests.mjs';

const N = Number(process.env.BENCH_ENTRIES ?? 100_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const dir = mkdtempSync(join(tmpdir(), 'idsync-logcost-'));
const store = openSqliteStore({ path: join(dir, 'idsync.db') });
const now = new Date().toISOString();
await store.createOrg(
  { id: 'o1', name: 'Bench', settings: { inviteTtlHours: 72, pendingInviteCap: 50, allowedDomains: [] }, createdAt: now, updatedAt: now, version: 1 },
  { orgId: 'o1', actor: { kind: 'system' }, action: 'org.created', target: { type: 'org', id: 'o1' } },
);

const t0 = Date.now();
const recorded = [];
for (let i = 0; i < N; i++) {
  const okta = i % 2 === 0;
  const filter = encodeURIComponent(`userName eq "user${i}@bench.example"`);
  const r = new LoggedRequest(t0 + Math.floor(i / 15), i * 66, okta ? `/Users?filter=${filter}&startIndex=1&count=100` : `/Users?filter=${filter}`);
  Object.assign(r, { endedMs: i * 66 + 1.3, method: 'GET', status: 200, orgId: 'o1', tokenId: '6f0c3a52-8d1e-4d7b-9a43-2c5e7f1b9d08', label: 'Okta provisioning', userAgent: (okta ? OKTA_HEADERS : ENTRA_HEADERS)['user-agent'] });
  recorded.push(r);
}
const batches = [];
for (let i = 0; i < N; i += BATCH) batches.push(recorded.slice(i, i + BATCH));
const cpu = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};
// Warm-up: the first batches run before the code is optimised.
for (const b of batches.slice(0, 5)) pagesOf(b.map(entryOfRequest));

let c = cpu();
const entries = batches.map((b) => b.map(entryOfRequest));
const making = (cpu() - c) / N;
c = cpu();
let bytes = 0;
for (const b of entries) bytes += pagesOf(b).reduce((a, p) => a + p[5].length, 0);
const paging = (cpu() - c) / N;
c = cpu();
for (const b of entries) await store.appendScimLog(b);
const appending = (cpu() - c) / N;
await store.close();
rmSync(dir, { recursive: true, force: true });

const f = (x) => x.toFixed(2);
console.log(
  `SCIM request log, its own work (\`node bench/scim-log-cost.mjs\`, ${N.toLocaleString('en')} lookup entries in batches of ${BATCH}, SQLite file): making the entries ${f(making)} µs, making the page ${f(paging)} µs (${Math.round(bytes / N)} bytes per entry), appending (the page again, the writer thread's insert) ${f(appending)} µs; ${f(making + appending)} µs of CPU per request in all.`,
);
