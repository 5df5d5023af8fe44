// Directory groups as teams: compiles bench/team-sync.ts, runs it once in its own process, and
// appends a section to bench/RESULTS.md (BENCH_RECORD=0 to skip).
// Usage: node bench/team-sync-run.mjs [N] [G] [C]. Not part of npm test.
import { compileBench, load, machine, record, runRow } from './compile.mjs';

const args = process.argv.slice(2);
compileBench(['bench/team-sync.ts']);
const before = load();
const r = runRow('bench/team-sync.ts', args);
const after = load();
const fmt = (x) => x.toLocaleString('en-US');
const rows = r.runs.map((x) => {
  const t = x.teams;
  return `| ${x.run} | ${x.status} | ${t.mode} | ${x.groupCalls} | ${t.groups} | ${t.created} | ${fmt(t.added)} | ${fmt(t.removed)} | ${t.rolesChanged} | ${(x.wallMs / 1000).toFixed(2)} s |`;
});
record(`
### Directory groups as teams — ${fmt(r.users)} Entra users in ${r.groups} groups, Graph group delta

- Date: ${new Date().toISOString().slice(0, 10)}
- Machine: ${machine()}; 1-minute load average ${before} before, ${after} after${Number(before) >= 1 ? ' (other agents were using the CPU: wall times are pessimistic)' : ''}
- Command: \`node bench/team-sync-run.mjs ${args.join(' ')}\`
- Setup: the Graph fake in the measured process (real HTTP on 127.0.0.1, 10 groups per delta page);
  real services on a SQLite file; ${fmt(r.users)} members (seeded in ${(r.seedMs / 1000).toFixed(1)} s, not in the table), linked by
  email on run 1; groups selected by id; group 0 mapped to admin. Run 3 follows ${r.changes} membership changes
  (half added, half removed). Wall time is the whole run (users listing, users delta, team sync, roles).

| run | status | group read | groups/delta calls | groups changed | teams created | members added | removed | roles changed | wall time |
|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`);
