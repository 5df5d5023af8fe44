// Console audit page benchmark: `npm run build && node bench/console-audit.mjs` (BENCH_EVENTS to scale).
// Appends BENCH_EVENTS audit events to one org's chain on SQLite (one action in a thousand is
// `member.removed` by SCIM, the rest `team.updated` by an admin key), opens the console with a portal
// link like a browser, then times the audit page: the first screen (the chain's head found by
// bisection), a page deep in the trail, a filter that matches one event in a thousand, a filter
// that matches nothing (the bounded scan of 5,000 events), a date range, and Verify chain over the
// whole trail. Server time is the page's Server-Timing header; the client round trip adds loopback HTTP.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';
import { CLI_PRINCIPAL } from '../dist/services/authz.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-audit-'));
const config = loadConfig({ env: { IDSYNC_DATA_DIR: dir, IDSYNC_PORT: '0', IDSYNC_HOST: '127.0.0.1', IDSYNC_LOG_LEVEL: 'error', IDSYNC_RECONCILE_SCHEDULER: 'false' }, cwd: dir });
const daemon = await startDaemon(config, { logger: createLogger({ level: 'error', format: 'json' }) });
const s = daemon.services;
const org = await s.orgs.create({ name: 'Audit bench' }, { kind: 'system', label: 'bench' });
const seedStart = Date.now();
const admin = { kind: 'admin', id: 'key-1', label: 'bench key' };
const scim = { kind: 'scim', id: 'tok-1', label: 'okta' };
for (let i = 1; i < EVENTS; i++) {
  const rare = i % 1000 === 0;
  await daemon.store.appendAudit({ orgId: org.id, actor: rare ? scim : admin, action: rare ? 'member.removed' : 'team.updated', target: { type: rare ? 'member' : 'team', id: `t${i}` }, after: { n: i } });
}
const seedSeconds = (Date.now() - seedStart) / 1000;
const all = await daemon.store.listAudit(org.id, { afterSeq: Math.floor(EVENTS / 2), limit: 1 });
const midDay = all[0].at.slice(0, 10);

const { url } = await s.console.createPortalLink(CLI_PRINCIPAL, org.id, 'all');
const start = await fetch(url.replace(config.server.publicUrl, daemon.url));
const cookie = start.headers.getSetCookie()[0].split(';')[0];
await start.arrayBuffer();
const first = await (await fetch(`${daemon.url}/console/orgs/${org.id}/audit`, { headers: { cookie } })).text();
const csrf = /name="_csrf" value="([^"]+)"/.exec(first)[1];

const base = `${daemon.url}/console/orgs/${org.id}/audit`;
const cases = [
  ['first screen (50 newest events)', base, 'GET'],
  [`older page (events below #${Math.floor(EVENTS / 10).toLocaleString('en')})`, `${base}?before=${Math.floor(EVENTS / 10)}`, 'GET'],
  ['filter: action member.removed (1 in 1,000)', `${base}?action=member.removed`, 'GET'],
  ['filter: actor matching nothing (bounded scan, 5,000 events)', `${base}?actor=directory`, 'GET'],
  [`date range: to ${midDay} (bisection over seq)`, `${base}?to=${midDay}`, 'GET'],
  [`Verify chain (${EVENTS.toLocaleString('en')} events)`, `${base}/verify`, 'POST'],
];
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1);
const rows = [];
for (const [name, href, method] of cases) {
  const server = [];
  const client = [];
  let rowsShown = 0;
  const rounds = method === 'POST' ? Math.max(3, Math.floor(ROUNDS / 5)) : ROUNDS;
  for (let i = 0; i < rounds; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(href, method === 'POST' ? { method, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}` } : { headers: { cookie } });
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${html.slice(0, 200)}`);
    if (method === 'POST' && !html.includes('The chain is intact.')) throw new Error('verify did not say intact');
    client.push(Number(process.hrtime.bigint() - t) / 1e6);
    server.push(Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
    rowsShown = (html.match(/data-label="Action"/g) ?? []).length;
  }
  rows.push(`| ${name} | ${rowsShown} | ${q(server, 0.5)} | ${q(server, 0.99)} | ${q(client, 0.5)} |`);
}
await daemon.stop();
const lines = [
  `### Console audit page — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (shared with other work while it ran), SQLite, ${EVENTS.toLocaleString('en')} events in one org's chain`,
  '',
  `Command: \`npm run build && node bench/console-audit.mjs\` (${ROUNDS} sequential requests per row, Verify chain ${Math.max(3, Math.floor(ROUNDS / 5))}; server time from the page's Server-Timing header, from the session check to the rendered HTML; appending the events took ${seedSeconds.toFixed(0)} s).`,
  '',
  '| page | rows shown | server p50 ms | server p99 ms | client round trip p50 ms |',
  '|---|---|---|---|---|',
  ...rows,
  '',
];
console.log(lines.join('\n'));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
