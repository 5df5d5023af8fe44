// Console audit page benchmark: `npm run build && node bench/console-audit.mjs` (BENCH_EVENTS to scale).
// Writes BENCH_EVENTS audit events to one org's chain on SQLite (one action in a thousand is
// `member.removed` by SCIM, the rest `team.updated` by an admin key), opens the console with a portal
// link like a browser, then times the audit page: the first screen (the chain's head found by
// bisection), a page deep in the trail, a filter that matches one event in a thousand, a filter
// that matches nothing (the bounded scan of 5,000 events), a date range, and Verify chain over the
// whole trail (the POST that starts the background run, the page while it goes, the time to the verdict). Server time is the page's Server-Timing header; the client round trip adds loopback HTTP.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';
import { CLI_PRINCIPAL } from '../dist/services/authz.js';
import { nextAuditRecords } from '../dist/store/shared/audit-records.js';
import { openSqliteImporter } from '../dist/store/sqlite/import.js';

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
// Built with the stores' chain code and written by the migrate-store importer (appending them one by
// one through the store took 120 s), one millisecond apart so that the date range has a middle.
const importer = openSqliteImporter({ path: config.sqlite.path });
let [head] = await daemon.store.listAudit(org.id, { limit: 1 });
const t0 = Date.parse(head.at);
let batch = [];
for (let i = 1; i < EVENTS; i++) {
  const rare = i % 1000 === 0;
  const draft = { orgId: org.id, actor: rare ? scim : admin, action: rare ? 'member.removed' : 'team.updated', target: { type: rare ? 'member' : 'team', id: `t${i}` }, after: { n: i } };
  const { event, outbox } = nextAuditRecords(draft, head, new Date(t0 + i).toISOString());
  batch.push({ kind: 'audit', record: event }, { kind: 'outbox', record: outbox });
  head = event;
  if (batch.length >= 10_000 || i === EVENTS - 1) {
    await importer.importBatch(batch);
    batch = [];
  }
}
await importer.close();
const seedSeconds = (Date.now() - seedStart) / 1000;
const all = await daemon.store.listAudit(org.id, { afterSeq: Math.floor(EVENTS / 2), limit: 1 });
const midDay = all[0].at.slice(0, 10);

const { url } = await s.console.createPortalLink(CLI_PRINCIPAL, org.id, 'all');
// As a browser opens it: the link's page, then its Continue button (POST of the token).
const linkPage = await (await fetch(url.replace(config.server.publicUrl, daemon.url))).text();
const [, action, token] = /<form method="post" action="([^"]+)"><input type="hidden" name="token" value="([^"]+)">/.exec(linkPage);
const start = await fetch(new URL(action, daemon.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }), redirect: 'manual' });
const cookie = start.headers.getSetCookie().find((c) => c.startsWith('idsync_console=')).split(';')[0];
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

// Verify chain: the POST starts a background run and answers with a redirect; the page then shows
// the run's progress and reloads itself until the verdict. Timed: the POST, the page while the run
// goes (what each self-refresh costs), and the POST to the verdict as a browser polling every 100 ms sees it.
const VERIFY_ROUNDS = Math.max(3, Math.floor(ROUNDS / 5));
const posts = [];
const during = [];
const verdicts = [];
for (let i = 0; i < VERIFY_ROUNDS; i++) {
  const t = process.hrtime.bigint();
  const res = await fetch(`${base}/verify`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(csrf)}`, redirect: 'manual' });
  await res.arrayBuffer();
  if (res.status !== 303) throw new Error(`verify: ${res.status}`);
  posts.push(Number(process.hrtime.bigint() - t) / 1e6);
  for (;;) {
    const page = await fetch(base, { headers: { cookie } });
    const html = await page.text();
    if (html.includes('The chain is intact.')) break;
    if (!html.includes('Verifying the chain')) throw new Error(`verify: neither progress nor verdict: ${html.slice(0, 300)}`);
    during.push(Number(/dur=([\d.]+)/.exec(page.headers.get('server-timing') ?? '')?.[1] ?? NaN));
    await new Promise((r) => setTimeout(r, 100));
  }
  verdicts.push(Number(process.hrtime.bigint() - t) / 1e6);
}
rows.push(`| Verify chain: the POST (starts the run, 303 to the page) | — | — | — | ${q(posts, 0.5)} |`);
rows.push(`| the page while the run goes (progress; ${during.length} loads) | 50 | ${q(during, 0.5)} | ${q(during, 0.99)} | — |`);
await daemon.stop();
const lines = [
  `### Console audit page — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (shared with other work while it ran), SQLite, ${EVENTS.toLocaleString('en')} events in one org's chain`,
  '',
  `Command: \`npm run build && node bench/console-audit.mjs\` (${ROUNDS} sequential requests per row, Verify chain ${VERIFY_ROUNDS}; server time from the page's Server-Timing header, from the session check to the rendered HTML; writing the events through the importer took ${seedSeconds.toFixed(0)} s; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' / ')}).`,
  '',
  '| page | rows shown | server p50 ms | server p99 ms | client round trip p50 ms |',
  '|---|---|---|---|---|',
  ...rows,
  '',
  `Verify chain, from the POST to the verdict on the page (the background run over ${EVENTS.toLocaleString('en')} events, polled every 100 ms): median ${q(verdicts, 0.5)} ms, rounds ${verdicts.map((v) => v.toFixed(0)).join(', ')} ms; no request waited for it.`,
  '',
];
console.log(lines.join('\n'));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
