// The SCIM request log's own work per request, apart from HTTP: `npm run build && node bench/scim-log-cost.mjs`.
// Builds N entries the way the router does (redacted path, IdP from the User-Agent, ISO time) and
// appends them to a real SQLite file store in the recorder's batches of 500; prints µs per entry for
// each step, to set beside a lookup's CPU time in bench/scim.mjs (the log's budget is 5% of it).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idpFromUserAgent, redactPath } from '../dist/domain/scim-log.js';
import { openSqliteStore } from '../dist/store/sqlite/store.js';

const N = Number(process.env.BENCH_ENTRIES ?? 30_000);
const dir = mkdtempSync(join(tmpdir(), 'idsync-logcost-'));
const store = openSqliteStore({ path: join(dir, 'idsync.db') });
const now = new Date().toISOString();
await store.createOrg(
  { id: 'o1', name: 'Bench', settings: { inviteTtlHours: 72, pendingInviteCap: 50, allowedDomains: [] }, createdAt: now, updatedAt: now, version: 1 },
  { orgId: 'o1', actor: { kind: 'system' }, action: 'org.created', target: { type: 'org', id: 'o1' } },
);

const t0 = process.hrtime.bigint();
const entries = [];
for (let i = 0; i < N; i++) {
  const ua = 'Okta SCIM Client 1.0.0';
  entries.push({
    orgId: 'o1',
    at: new Date().toISOString(),
    method: 'GET',
    path: redactPath(`/Users?filter=userName%20eq%20%22user${i}%40bench.example%22`),
    status: 200,
    latencyMs: 3.2,
    idp: idpFromUserAgent(ua),
    credential: { id: 'token-1', label: 'okta' },
    userAgent: ua,
    resource: { type: 'Users' },
  });
}
const t1 = process.hrtime.bigint();
for (let i = 0; i < N; i += 500) await store.appendScimLog(entries.slice(i, i + 500));
const t2 = process.hrtime.bigint();
await store.close();
rmSync(dir, { recursive: true, force: true });

const per = (a, b) => (Number(b - a) / 1e3 / N).toFixed(2);
const line = `SCIM request log, its own work (\`node bench/scim-log-cost.mjs\`, ${N.toLocaleString('en')} lookup entries, SQLite file): building an entry ${per(t0, t1)} µs, storing it in batches of 500 ${per(t1, t2)} µs, ${per(t0, t2)} µs per request in all.`;
console.log(line);
