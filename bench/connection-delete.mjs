// Deleting a directory connection that manages many members: `npm run build && node bench/connection-delete.mjs`.
// One org on a SQLite file store with ROUNDS connections, each managing MANAGED members (seeded
// through the store); each round deletes one connection through the real ConnectionService, which
// releases its members to admins (member writer, 500 a transaction, a member.released event each),
// then deletes it. A last row deletes a connection that manages nobody: the cost of walking the org.
// BENCH_MANAGED / BENCH_ROUNDS change the size.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../dist/logging/winston-logger.js';
import { createBuiltinRegistry } from '../dist/connectors/index.js';
import { createServices } from '../dist/services/index.js';
import { openSqliteStore } from '../dist/store/sqlite/store.js';
import { load, machine, record } from './compile.mjs';

const MANAGED = Number(process.env.BENCH_MANAGED ?? 20_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const dir = mkdtempSync(join(tmpdir(), 'idsync-conn-delete-'));
const store = openSqliteStore({ path: join(dir, 'idsync.db') });
const services = createServices({ store, clock: { now: () => new Date() }, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 7) });
const actor = { kind: 'admin', id: 'bench-key', label: 'bench' };
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

const tSeed = process.hrtime.bigint();
const org = await services.orgs.create({ name: 'Bench Connection Delete' }, actor);
const conns = [];
for (let r = 0; r <= ROUNDS; r++) conns.push(await services.connections.create(org.id, { provider: 'github', name: `GitHub ${r}`, config: { org: 'acme', token: 'ghp_bench_token_0123456789abcdef' } }, actor));
const at = new Date().toISOString();
// Interleaved: each connection's members are spread over the whole org, as people join over time.
for (let i = 0; i < MANAGED * ROUNDS; i++) {
  const id = randomUUID();
  const userName = `user${i}@delete.bench`;
  const managedBy = { kind: 'directory', connectionId: conns[i % ROUNDS].id };
  await store.createMember(
    { id, orgId: org.id, userName, name: {}, emails: [{ value: userName, primary: true }], role: 'member', status: i % 10 === 0 ? 'inactive' : 'active', managedBy, identities: [], attributes: {}, createdAt: at, updatedAt: at, version: 1 },
    { orgId: org.id, actor, action: 'member.created', target: { type: 'member', id } },
  );
}
const seedSeconds = ms(tSeed) / 1000;
const orgSize = MANAGED * ROUNDS;

const rows = [];
async function measure(label, conn) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  const released = await services.connections.delete(conn.id, actor, org.id);
  const wall = ms(t0);
  const c = process.cpuUsage(c0);
  const row = { label, released: released.members, ms: wall, cpu: (c.user + c.system) / 1000 };
  rows.push(row);
  console.log(JSON.stringify(row));
}
for (let r = 0; r < ROUNDS; r++) await measure(`delete ${r + 1}: releases its members`, conns[r]);
await measure('delete of a connection that manages nobody (the walk alone)', conns[ROUNDS]);
const released = (await store.listMembers(org.id, { limit: 1 })).total;

await store.close();
rmSync(dir, { recursive: true, force: true });

const md = `
### Deleting a directory connection — ${MANAGED.toLocaleString('en')} managed members released, org of ${orgSize.toLocaleString('en')}, SQLite file

- Date: ${new Date().toISOString().slice(0, 10)}
- Machine: ${machine()} (load average ${load()} at the end: shared with other work)
- Command: \`npm run build && node bench/connection-delete.mjs\`
- Setup: ${orgSize.toLocaleString('en')} members (${ROUNDS} connections managing ${MANAGED.toLocaleString('en')} each, interleaved in creation order, 1 in 10 inactive; ${released} members in the org) seeded through the store in ${seedSeconds.toFixed(1)} s. The measured call is \`ConnectionService.delete\`: run slot, walk of the org's live members 500 a page, \`MemberWriter.updateMany\` (one store transaction and a \`member.released\` audit event per member) for those it manages, team release, \`deleteConnection\`. Each round deletes another connection (so later rounds walk an org where earlier ones were released).

| delete | members released | wall ms | CPU ms | per member released |
|---|---|---|---|---|
${rows.map((r) => `| ${r.label} | ${r.released.toLocaleString('en')} | ${r.ms.toFixed(0)} | ${r.cpu.toFixed(0)} | ${r.released ? `${((r.ms * 1000) / r.released).toFixed(0)} µs` : '—'} |`).join('\n')}
`;
console.log(md);
record(md);
