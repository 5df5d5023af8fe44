// Role mapping evaluation at scale: `npm run build && node bench/role-mappings.mjs`.
// An org of 100,000 members in 1,000 groups (each member in two groups, about 200 members a group)
// with 100 groups mapped to roles, on a SQLite file store, through the real services. Measures what
// one group change costs: the role service re-evaluates that group's members only (the count is
// printed beside the org size), reading each member's groups and writing the roles that move.
// BENCH_MEMBERS / BENCH_GROUPS change the size; BENCH_STORE=redis with IDSYNC_REDIS_URL runs on Redis.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../dist/logging/winston-logger.js';
import { createBuiltinRegistry } from '../dist/connectors/index.js';
import { createServices } from '../dist/services/index.js';
import { openSqliteStore } from '../dist/store/sqlite/store.js';
import { load, machine, record } from './compile.mjs';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 100_000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1_000);
const MAPPED_EVERY = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);

const dir = mkdtempSync(join(tmpdir(), 'idsync-roles-'));
let store;
if (process.env.BENCH_STORE === 'redis') {
  const { createRedisStore } = await import('../dist/store/redis/store.js');
  store = createRedisStore({ connection: { url: process.env.IDSYNC_REDIS_URL }, keyPrefix: `bench-${randomUUID().slice(0, 8)}` });
} else store = openSqliteStore({ path: join(dir, 'idsync.db') });
const services = createServices({ store, clock: { now: () => new Date() }, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 7) });
const actor = { kind: 'system', label: 'bench' };
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

// ---- seed: members and teams straight into the store (the service layer would add 2 minutes) ----
const tSeed = process.hrtime.bigint();
const org = await services.orgs.create({ name: 'Bench Roles', settings: { ownerByMapping: false } }, actor);
const at = new Date().toISOString();
const ids = [];
for (let i = 0; i < MEMBERS; i++) {
  const id = randomUUID();
  ids.push(id);
  const userName = `user${i}@roles.bench`;
  await store.createMember(
    { id, orgId: org.id, userName, name: {}, emails: [{ value: userName, primary: true }], role: 'member', status: 'active', managedBy: { kind: 'scim' }, identities: [], attributes: {}, createdAt: at, updatedAt: at, version: 1 },
    { orgId: org.id, actor, action: 'member.created', target: { type: 'member', id } },
  );
}
const teams = [];
for (let g = 0; g < GROUPS; g++) teams.push(await services.teams.create(org.id, { displayName: `group-${g}` }, actor));
// Member i is in groups i % GROUPS and (i * 7 + 3) % GROUPS.
const members = teams.map(() => []);
for (let i = 0; i < MEMBERS; i++) {
  members[i % GROUPS].push(ids[i]);
  const second = (i * 7 + 3) % GROUPS;
  if (second !== i % GROUPS) members[second].push(ids[i]);
}
for (let g = 0; g < GROUPS; g++) for (let k = 0; k < members[g].length; k += 500) await store.addTeamMembers(org.id, teams[g].id, members[g].slice(k, k + 500), { orgId: org.id, actor, action: 'team.members_added', target: { type: 'team', id: teams[g].id } });
const seedSeconds = ms(tSeed) / 1000;

// ---- mappings: every 10th group, admin and member alternating, precedences spread ----
const tMap = process.hrtime.bigint();
for (let g = 0; g < GROUPS; g += MAPPED_EVERY) await store.createRoleMapping(
  { id: `rm-${g}`, orgId: org.id, source: 'scim', group: `group-${g}`, role: g % 20 === 0 ? 'admin' : 'member', precedence: g % 3, createdAt: at, updatedAt: at, version: 1 },
  { orgId: org.id, actor, action: 'role_mapping.created', target: { type: 'role_mapping', id: `rm-${g}` } },
);
const mapSeconds = ms(tMap) / 1000;

const meta = { actor: { kind: 'scim', id: 'bench-token' }, source: 'scim' };
const rows = [];
async function measure(label, run) {
  const times = [];
  const cpu = [];
  let last;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    last = await run(r);
    times.push(ms(t0));
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  // CPU time (user + system of this process) beside wall time: on a shared machine the wall time is mostly waiting for a core.
  const row = { label, evaluated: last.length, changed: last.filter((o) => o.result === 'changed').length, median: times[Math.floor(ROUNDS / 2)], worst: times[ROUNDS - 1], cpu: cpu[Math.floor(ROUNDS / 2)] };
  rows.push(row);
  console.log(JSON.stringify(row));
}

/** Two runs measured in alternation, A then B each round (paired under the same load). */
async function measurePair([labelA, runA], [labelB, runB]) {
  const res = { A: { t: [], c: [], last: [] }, B: { t: [], c: [], last: [] } };
  for (let r = 0; r < ROUNDS * 2; r++) {
    const k = r % 2 === 0 ? 'A' : 'B';
    const t0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    res[k].last = await (k === 'A' ? runA : runB)();
    res[k].t.push(ms(t0));
    const c = process.cpuUsage(c0);
    res[k].c.push((c.user + c.system) / 1000);
  }
  for (const [k, label] of [['A', labelA], ['B', labelB]]) {
    const { t, c, last } = res[k];
    t.sort((a, b) => a - b);
    c.sort((a, b) => a - b);
    const row = { label, evaluated: last.length, changed: last.filter((o) => o.result === 'changed').length, median: t[Math.floor(ROUNDS / 2)], worst: t[ROUNDS - 1], cpu: c[Math.floor(ROUNDS / 2)] };
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}

// 1. A mapped group's whole membership re-evaluated (a rename onto a mapping, a PUT of the group),
// every call moving all 200 roles; interleaved round by round with the previous write path (one
// store transaction per member: MemberWriter.update through applyDecision, as reevaluate wrote
// before updateMembers), so both see the same machine load.
const target = teams[20]; // mapped to admin
const { decideRole } = await import('../dist/domain/role-mappings.js');
const evaluator = services.roleMappings.evaluator;
let flips = 0;
const flip = () => store.updateRoleMapping(org.id, 'rm-20', (cur) => ({ next: { ...cur, role: flips++ % 2 === 0 ? 'admin' : 'member', precedence: 5 }, audit: { orgId: org.id, actor, action: 'role_mapping.updated', target: { type: 'role_mapping', id: 'rm-20' } } }));
const batched = async () => {
  await flip();
  return services.roleMappings.afterGroupChange(org.id, { after: target, memberIds: members[20] }, meta);
};
const previous = async () => {
  await flip();
  const scope = await evaluator.scope(org.id);
  const out = [];
  for (const id of members[20]) {
    const m = await store.getMember(org.id, id);
    const matched = await evaluator.matchedFor(scope, id);
    out.push((await evaluator.applyDecision(scope, m, (cur) => decideRole(cur, matched, scope.org, scope), meta)).outcome);
  }
  return out;
};
await measurePair(['whole mapped group re-evaluated, roles written', batched], ['whole mapped group re-evaluated, roles written one transaction each (previous path, interleaved)', previous]);
// 2. The same group re-evaluated with nothing to write (a PUT that sends the membership unchanged).
await measure('whole mapped group re-evaluated, nothing to write', () => services.roleMappings.afterGroupChange(org.id, { after: target, memberIds: members[20] }, meta));
// 3. One member added to and removed from a mapped group (the usual PATCH).
const outsider = ids.find((id) => !members[20].includes(id) && !members[10].includes(id));
await measure('one member added to a mapped group', async (r) => {
  if (r % 2 === 0) await store.addTeamMembers(org.id, teams[10].id, [outsider], { orgId: org.id, actor, action: 'team.members_added', target: { type: 'team', id: teams[10].id } });
  else await store.removeTeamMembers(org.id, teams[10].id, [outsider], { orgId: org.id, actor, action: 'team.members_removed', target: { type: 'team', id: teams[10].id } });
  return services.roleMappings.afterGroupChange(org.id, { after: teams[10], memberIds: [outsider] }, meta);
});
// 4. A change to an unmapped group: no member is read.
await measure('one member added to an unmapped group', () => services.roleMappings.afterGroupChange(org.id, { after: teams[11], memberIds: members[11] }, meta));

await store.close();
rmSync(dir, { recursive: true, force: true });

const kind = process.env.BENCH_STORE === 'redis' ? 'Redis' : 'SQLite file';
const md = `
### Role mapping evaluation — ${MEMBERS.toLocaleString('en')} members, ${GROUPS.toLocaleString('en')} groups, ${Math.ceil(GROUPS / MAPPED_EVERY)} mapped, ${kind}

- Date: ${new Date().toISOString().slice(0, 10)}
- Machine: ${machine()} (load average ${load()} at the end: shared with other work)
- Command: \`npm run build && node bench/role-mappings.mjs\`
- Setup: members and team memberships seeded through the store in ${seedSeconds.toFixed(1)} s (each member in 2 groups, about ${Math.round((MEMBERS * 2) / GROUPS)} a group), mappings in ${mapSeconds.toFixed(2)} s; the measured call is \`RoleMappingService.afterGroupChange\`, what a SCIM group write runs after its membership change (reads the mappings, each evaluated member and its groups; writes the moved roles through the member writer in one store transaction, updateMembers, an audit event each; the previous path's row writes one transaction per member). ${ROUNDS} rounds each.

| change | members evaluated (of ${MEMBERS.toLocaleString('en')}) | roles written | median ms | worst ms | median CPU ms | target |
|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.label} | ${r.evaluated} | ${r.changed} | ${r.median.toFixed(1)} | ${r.worst.toFixed(1)} | ${r.cpu.toFixed(1)} | < 200 ms |`).join('\n')}
`;
console.log(md);
record(md);
