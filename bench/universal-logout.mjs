// Okta Universal Logout latency: `npm run build && node bench/universal-logout.mjs` (BENCH_SAMPLES,
// BENCH_STORE=sqlite|redis with BENCH_REDIS_URL). Starts the daemon in this process, a local issuer
// (RS256 key, JWKS over HTTP on 127.0.0.1) and an RFC 8935 push receiver, then logs members out one
// at a time at random moments, each with a fresh signed JWT, and measures (1) the revocation call
// until its 204 and (2) the call until the verified CAEP session-revoked SET reaches the receiver.
import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';

const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 200);
const STORE = process.env.BENCH_STORE ?? 'sqlite';
const REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-ul-'));
const env = {
  IDSYNC_DATA_DIR: dir,
  IDSYNC_PORT: '0',
  IDSYNC_HOST: '127.0.0.1',
  IDSYNC_LOG_LEVEL: 'error',
  IDSYNC_API_RATE_LIMIT: '0',
  IDSYNC_RECONCILE_SCHEDULER: 'false',
  IDSYNC_PUBLIC_URL: 'https://idsync.example.com',
  IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  ...(STORE === 'redis' ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
};
const config = loadConfig({ env, cwd: dir });
const daemon = await startDaemon(config, { logger: createLogger({ level: 'error', format: 'json' }) });
const s = daemon.services;
const actor = { kind: 'system', label: 'bench' };
const org = await s.orgs.create({ name: 'Logout' }, actor);
const { key } = await s.credentials.createAdminKey(actor, { orgId: org.id });

// The issuer: one RS256 key published at /oauth2/v1/keys, as an Okta org publishes its keys.
const { privateKey, publicKey } = await generateKeyPair('RS256');
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'RS256', use: 'sig' };
const issuerServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
await new Promise((r) => issuerServer.listen(0, '127.0.0.1', r));
const issuer = `http://127.0.0.1:${issuerServer.address().port}`;
const settings = await s.universalLogout.set({ kind: 'provider', actor }, org.id, { issuer, jwksUri: `${issuer}/oauth2/v1/keys` });

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
      waiting.get(payload.sub_id.user.identifiers.find((i) => i.format === 'opaque').id)?.(at);
    } catch {
      bad++;
    }
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const created = await fetch(`${daemon.url}/ssf/stream`, {
  method: 'POST',
  headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: `http://127.0.0.1:${receiver.address().port}/events` }, aud: 'urn:bench' }),
});
if (created.status !== 201) throw new Error(`stream: ${created.status} ${await created.text()}`);

const sign = () => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'bench' }).setIssuer(issuer).setAudience(settings.audience).setIssuedAt(now).setExpirationTime(now + 300).setJti(randomUUID()).sign(privateKey);
};
const answered = [];
const delivered = [];
for (let i = 0; i < SAMPLES; i++) {
  const email = `u${i}@logout.example`;
  const m = await (await fetch(`${daemon.url}/api/v1/orgs/${org.id}/members`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ email }) })).json();
  const token = await sign();
  await new Promise((r) => setTimeout(r, Math.random() * 300));
  const arrived = new Promise((r) => waiting.set(m.id, r));
  const t0 = performance.now();
  const res = await fetch(settings.endpoint.replace('https://idsync.example.com', daemon.url), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sub_id: { format: 'email', email } }),
  });
  answered.push(performance.now() - t0);
  if (res.status !== 204) throw new Error(`logout ${res.status} ${await res.text()}`);
  delivered.push((await arrived) - t0);
}
await daemon.stop();
receiver.close();
issuerServer.close();
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1);
const lines = [
  `### Okta Universal Logout latency — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (shared with other work), ${STORE}`,
  '',
  `Command: \`npm run build && node bench/universal-logout.mjs\` (${SAMPLES} revocation calls one at a time, each at a random moment with a fresh RS256 JWT from a local issuer; the daemon verifies it against the issuer's JWKS (cached after the first call), takes the jti, ends sessions, withdraws invitations and audits; worker poll ${config.webhooks.pollMs} ms, woken by the change).`,
  '',
  '| measure | p50 ms | p90 ms | p99 ms | max ms | SETs failing verification |',
  '|---|---|---|---|---|---|',
  `| POST /global-token-revocation → 204 | ${q(answered, 0.5)} | ${q(answered, 0.9)} | ${q(answered, 0.99)} | ${Math.max(...answered).toFixed(1)} | |`,
  `| POST → verified CAEP session-revoked SET at the receiver | ${q(delivered, 0.5)} | ${q(delivered, 0.9)} | ${q(delivered, 0.99)} | ${Math.max(...delivered).toFixed(1)} | ${bad} |`,
  '',
];
console.log(lines.join('\n'));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
