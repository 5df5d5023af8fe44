// Console members page benchmark: `npm run build && node bench/console.mjs` (BENCH_MEMBERS to scale).
// Seeds one org through the service layer (a tenth of it inactive, a team of 1,000), opens the
// console with a portal link like a browser, then times the members page: the first screen, a page
// deep in the list (keyset position of member 90% in), the indexed status filter, a whole-email
// search and a name search that matches nothing (the bounded scan). Server time is the page's
// Server-Timing header (session check to rendered HTML); the client round trip adds loopback HTTP.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';
import { CLI_PRINCIPAL } from '../dist/services/authz.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-console-'));
const config = loadConfig({ env: { IDSYNC_DATA_DIR: dir, IDSYNC_PORT: '0', IDSYNC_HOST: '127.0.0.1', IDSYNC_LOG_LEVEL: 'error', IDSYNC_RECONCILE_SCHEDULER: 'false' }, cwd: dir });
const daemon = await startDaemon(config, { logger: createLogger({ level: 'error', format: 'json' }) });
const s = daemon.services;
const actor = { kind: 'system', label: 'bench' };
const org = await s.orgs.create({ name: 'Console bench' }, actor);
const seedStart = Date.now();
const teamIds = [];
for (let i = 0; i < MEMBERS; i++) {
  const m = await s.members.create(org.id, { email: `p${i}@console.example`, givenName: `Person${i}`, familyName: 'Bench' }, actor);
  if (i % 10 === 9) await s.members.deactivate(org.id, m.id, actor, 'bench');
  if (i % 100 === 0) teamIds.push(m.id);
}
const team = await s.teams.create(org.id, { displayName: 'Sampled' }, actor);
await s.teams.addMembers(org.id, team.id, teamIds, actor);
const seedSeconds = (Date.now() - seedStart) / 1000;

// The keyset position 90% into the live list, as the page's "Next page" links would reach it.
let deep;
let seen = 0;
const live = { statuses: ['active', 'inactive'] };
while (seen < Math.floor(MEMBERS * 0.9)) {
  const page = await daemon.store.listMembersAfter(org.id, { ...live, ...(deep ? { after: deep } : {}), limit: Math.min(1000, Math.floor(MEMBERS * 0.9) - seen) });
  seen += page.items.length;
  deep = page.positions.at(-1);
}

const { url } = await s.console.createPortalLink(CLI_PRINCIPAL, org.id, 'members');
// As a browser does: the link's GET only shows a Continue button; its form POST opens the session.
const token = new URL(url).searchParams.get('token');
const start = await fetch(`${daemon.url}/console/start`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token }) });
const cookie = start.headers.getSetCookie()[0].split(';')[0];
await start.arrayBuffer();

const base = `${daemon.url}/console/orgs/${org.id}/members`;
const cases = [
  ['first screen (50 members, total count)', base],
  [`later page (keyset, ${Math.floor(MEMBERS * 0.9).toLocaleString('en')} members in)`, `${base}?after=${deep}`],
  ['status filter: inactive (indexed)', `${base}?status=inactive`],
  ['search: whole email (indexed)', `${base}?q=p${Math.floor(MEMBERS / 2)}%40console.example`],
  ['search: name matching nothing (bounded scan, 20,000 members per request)', `${base}?q=nobody-by-this-name`],
  ['team filter (1,000-member team)', `${base}?team=${team.id}`],
];
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(1);
const rows = [];
for (const [name, href] of cases) {
  const server = [];
  const client = [];
  let rowsShown = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    const res = await fetch(href, { headers: { cookie } });
    const html = await res.text();
    if (res.status !== 200) throw new Error(`${name}: ${res.status} ${html.slice(0, 200)}`);
    client.push(Number(process.hrtime.bigint() - t) / 1e6);
    server.push(Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
    rowsShown = (html.match(/name="ids"/g) ?? []).length;
  }
  rows.push(`| ${name} | ${rowsShown} | ${q(server, 0.5)} | ${q(server, 0.99)} | ${q(client, 0.5)} |`);
}
await daemon.stop();
const lines = [
  `### Console members page — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (shared with other work while it ran), SQLite, ${MEMBERS.toLocaleString('en')} members in one org`,
  '',
  `Command: \`npm run build && node bench/console.mjs\` (${ROUNDS} sequential requests per row with a console session cookie; server time from the page's Server-Timing header, from the session check to the rendered HTML; seeding took ${seedSeconds.toFixed(0)} s through the service layer). Targets: first screen < 1000 ms, each page < 100 ms (server time).`,
  '',
  '| page | rows shown | server p50 ms | server p99 ms | client round trip p50 ms |',
  '|---|---|---|---|---|',
  ...rows,
  '',
];
console.log(lines.join('\n'));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
