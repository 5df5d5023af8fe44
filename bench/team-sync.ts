/**
 * bench/team-sync: directory groups kept as teams (issue 17) through the real reconciler (services
 * on a SQLite file store, the built-in Graph connector) against the local Graph fake in this process
 * (real HTTP on 127.0.0.1): N users, all org members, in G groups of N/G members, selected by id.
 * Three runs: 1 full (the group delta's first round: teams created, every membership added),
 * 2 nothing changed (the stored group deltaLink: one call), 3 after C membership changes (half
 * added, half removed, spread over the groups), each re-evaluating the roles of a mapped group.
 * Prints one JSON line. Usage (through bench/team-sync-run.mjs): node team-sync.js [N] [G] [C]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinRegistry } from '../src/connectors/index.js';
import type { Actor } from '../src/domain/model.js';
import { silentLogger } from '../src/logging/winston-logger.js';
import { systemClock } from '../src/ports/clock.js';
import { createServices } from '../src/services/index.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { graphId, GraphFake } from '../test/fakes/graph-fake.js';

const N = Number(process.argv[2] ?? 5_000);
const G = Number(process.argv[3] ?? 10);
const C = Number(process.argv[4] ?? 20);
const ACTOR: Actor = { kind: 'cli', label: 'team-sync bench' };
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const groupIdOf = (g: number) => `b0000000-0000-4000-8000-${g.toString(16).padStart(12, '0')}`;

const fake = await new GraphFake({ users: N, tenantId: TENANT, clientId: CLIENT, clientSecret: 'bench-secret', deltaPageSize: 999 }).start();
fake.groups.pageSize = 10;
const per = Math.floor(N / G);
for (let g = 0; g < G; g++) fake.groups.add(groupIdOf(g), `Group ${g}`, Array.from({ length: per }, (_, k) => graphId(g * per + k)));

const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-teams-'));
const store = openSqliteStore({ path: join(dir, 'idsync.db') });
const services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 1) });
const org = await services.orgs.create({ name: 'Bench' }, ACTOR);
const seedStart = performance.now();
for (let i = 0; i < N; i++) await services.members.create(org.id, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR);
const seedMs = performance.now() - seedStart;
await services.roleMappings.set(org.id, { source: 'microsoft', group: groupIdOf(0), role: 'admin' }, ACTOR);
const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: 'bench-secret', graphBaseUrl: fake.url, authorityHost: fake.url, groups: { ids: Array.from({ length: G }, (_, g) => groupIdOf(g)) } };
const conn = await services.connections.create(org.id, { provider: 'microsoft', config, policy: { maxDeactivations: 0 } }, ACTOR);

const runs = [];
for (const label of ['1 full', '2 unchanged', '3 changed']) {
  if (label === '3 changed') {
    for (let j = 0; j < C; j++) {
      const g = j % G;
      if (j % 2 === 0) fake.groups.removeMember(groupIdOf(g), graphId(g * per + j));
      else fake.groups.addMember(groupIdOf(g), graphId(((g + 1) % G) * per + j));
    }
  }
  const calls = fake.server.calls('groups.delta');
  const t0 = performance.now();
  const s = await services.reconcile.run(conn.id);
  const wallMs = performance.now() - t0;
  runs.push({ run: label, status: s.status, wallMs: Math.round(wallMs), userListing: s.listingMode, groupCalls: fake.server.calls('groups.delta') - calls, teams: s.teams });
}
await store.close();
await fake.stop();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ users: N, groups: G, changes: C, seedMs: Math.round(seedMs), runs })}\n`);
