// Shared Signals latency: `npm run build && node bench/ssf.mjs` (BENCH_SAMPLES, BENCH_STORE=sqlite|redis with BENCH_REDIS_URL).
// Starts the daemon in this process (defaults: webhooks.pollMs as configured), subscribes a local
// RFC 8935 push receiver, then deactivates members one at a time over SCIM (PATCH active=false) at
// random moments and measures the time from sending the PATCH to the CAEP session-revoked SET
// arriving at the receiver (which checks its signature against the published JWKS).
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const STORE = process.env.BENCH_STORE ?? 'sqlite';
const POLL_MS = process.env.BENCH_POLL_MS;
const REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-ssf-'));
const env = {
  IDSYNC_DATA_DIR: dir,
  IDSYNC_PORT: '0',
  IDSYNC_HOST: '127.0.0.1',
  IDSYNC_LOG_LEVEL: 'error',
  IDSYNC_API_RATE_LIMIT: '0',
  IDSYNC_RECONCILE_SCHEDULER: 'false',
  IDSYNC_PUBLIC_URL: 'https://idsync.example.com',
  IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  ...(POLL_MS ? { IDSYNC_WEBHOOK_POLL_MS: POLL_MS } : {}),
  ...(STORE === 'redis' ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
};
const config = loadConfig({ env, cwd: dir });
const daemon = await startDaemon(config, { logger: createLogger({ level: 'error', format: 'json' }) });
const s = daemon.services;
const actor = { kind: 'system', label: 'bench' };
const org = await s.orgs.create({ name: 'Signals' }, actor);
const { key } = await s.credentials.createAdminKey(actor, { orgId: org.id });
const { token } = await s.credentials.createScimToken(org.id, actor);

const jwks = createRemoteJWKSet(new URL(`${daemon.url}/ssf/jwks.json`));
const waiting = new Map();
let bad = 0;
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', async () => {
    const at = performance.now();
    res.writeHead(202).end();
    try {
      const { payload } = await jwtVerify(body, jwks, { issuer: 'https://idsync.example.com', audience: 'urn:bench', typ: 'secevent+jwt' });
      if (!payload.events[REVOKED]) return;
      const id = payload.sub_id.user.identifiers.find((i) => i.format === 'opaque').id;
      waiting.get(id)?.(at);
    } catch {
      bad++;
    }
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const rx = `http://127.0.0.1:${receiver.address().port}/events`;
const created = await fetch(`${daemon.url}/ssf/stream`, {
  method: 'POST',
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rx }, aud: 'urn:bench' }),
});
if (created.status !== 201) throw new Error(`stream: ${created.status} ${await created.text()}`);

const scim = (method, path, body) =>
  fetch(`${daemon.url}/scim/v2${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify(body) });
const lat = [];
for (let i = 0; i < SAMPLES; i++) {
  const user = await (await scim('POST', '/Users', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `u${i}@signals.example`, emails: [{ value: `u${i}@signals.example`, primary: true }] })).json();
  // A random moment relative to the worker's ticks.
  await new Promise((r) => setTimeout(r, Math.random() * 300));
  const arrived = new Promise((r) => waiting.set(user.id, r));
  const t0 = performance.now();
  const res = await scim('PATCH', `/Users/${user.id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
  if (res.status !== 200) throw new Error(`PATCH ${res.status}`);
  lat.push((await arrived) - t0);
}
await daemon.stop();
receiver.close();
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(0);
const lines = [
  `### Shared Signals latency — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (shared with other work), ${STORE}`,
  '',
  `Command: \`npm run build && ${POLL_MS ? `BENCH_POLL_MS=${POLL_MS} ` : ''}node bench/ssf.mjs\` (${SAMPLES} SCIM deactivations one at a time, each at a random moment; time from sending the PATCH to the verified CAEP session-revoked SET at a local RFC 8935 receiver; worker poll ${config.webhooks.pollMs} ms). Target: p99 < 1000 ms.`,
  '',
  '| measure | p50 ms | p90 ms | p99 ms | max ms | SETs failing verification |',
  '|---|---|---|---|---|---|',
  `| PATCH active=false → SET at receiver | ${q(lat, 0.5)} | ${q(lat, 0.9)} | ${q(lat, 0.99)} | ${Math.max(...lat).toFixed(0)} | ${bad} |`,
  '',
];
console.log(lines.join('\n'));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
