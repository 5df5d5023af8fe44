// Reconcile benchmark: compiles bench/reconcile.ts (through bench/compile.mjs, like bench/run.mjs),
// runs it once per provider in its own process (clean peak RSS), and appends a section to
// bench/RESULTS.md (BENCH_RECORD=0 to skip).
// Usage: node bench/reconcile-run.mjs [N] [M] [provider …]. Not part of npm test.
import { compileBench, load, machine, record, runRow } from './compile.mjs';

const N = Number(process.argv[2] ?? 100_000);
const M = Number(process.argv[3] ?? 10_000);
const providers = process.argv.length > 4 ? process.argv.slice(4) : ['google', 'microsoft', 'github'];

compileBench(['bench/reconcile.ts', 'bench/fake-server.ts']);
const loadBefore = load();
const results = providers.map((p) => runRow('bench/reconcile.ts', [p, String(N), String(M)], ['--expose-gc']));
const loadAfter = load();

const fmt = (x) => x.toLocaleString('en-US');
/** Calls that did not answer 2xx (a 404 lookup answer, a retried network error …), from the summary's breakdown. */
const notOk = (x) => Object.entries(x.apiCallsByStatus ?? {}).filter(([k]) => k !== '2xx').map(([k, n]) => `${n} ${k}`).join(', ');
const calls = (x) => `${x.apiCalls}${notOk(x) ? ` (${notOk(x)})` : ''}`;
const rows = results.flatMap((r) =>
  (r.runs ?? []).map(
    (x) =>
      `| ${r.provider} | ${fmt(r.users)} | ${fmt(r.members)} | ${x.run} | ${x.listingMode} | ${calls(x)} | ${x.minimumCalls}: ${x.formula} | ${x.atMinimum ? 'yes' : '**no**'} | ${(x.wallMs / 1000).toFixed(2)} s | ${x.peakRssMiB} MiB (before ${x.rssBeforeMiB}, heap kept ${x.heapAfterGcMiB}) | ${x.deactivated}${x.status === 'completed' ? '' : ` (${x.status})`} |`,
  ),
);
const stalls = results.map((r) => `${r.provider} ${Math.max(...(r.runs ?? []).map((x) => x.maxLoopStallMs))} ms`).join(', ');
const seeding = results.map((r) => `${r.provider} ${(r.seedMs / 1000).toFixed(1)} s (${r.seedPerSecond}/s)`).join(', ');

const md = `
### Reconcile — ${fmt(N)} directory users, ${fmt(M)} members, per provider from the local fakes

- Date: ${new Date().toISOString().slice(0, 10)}
- Machine: ${machine()}; 1-minute load average ${loadBefore} before, ${loadAfter} after${Number(loadBefore) >= 1 ? ' (other agents were using the CPU: wall times are pessimistic)' : ''}
- Command: \`node bench/reconcile-run.mjs ${process.argv.slice(2).join(' ') || String(N)}\` (compiles with tsc, then one process per provider)
- Setup: the fake directory runs in a child process on 127.0.0.1 (real HTTP and auth); the measured
  process runs the real services (\`createServices\`) on a SQLite file store with the built-in
  connectors: one org, ${fmt(M)} members created through \`members.create\` with the emails of directory
  users 0…${fmt(M - 1)} (seeding, not in the table: ${seeding}), one connection with the default policy
  made through \`connections.create\`, then \`reconcile.run\` three times: 1 full (links every member by
  email), 2 with nothing changed, 3 after a few members' users are suspended (Google), disabled (Graph)
  or removed from the org (GitHub) upstream. Microsoft reads \`/users/delta\`: a full round first, then
  the stored \`@odata.deltaLink\`. Peak RSS is the process's peak so far (\`process.resourceUsage().maxRSS\`, so
  never below an earlier run's), "before" the RSS when the run started; the process runs with
  \`--expose-gc\` and collects garbage before and after each run, so a run does not pay for the last
  one's garbage, and "heap kept" is the heap still in use after the run (what it retains).

| provider | users | members | run | listing mode | API calls | minimum | at minimum | wall time | peak RSS | deactivated |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Longest event-loop stall in any run (\`perf_hooks.monitorEventLoopDelay\`; while it lasts the daemon
serves nothing else): ${stalls}.
API calls count every attempt; attempts that did not answer 2xx are named in the cell (the run
summary's \`apiCallsByStatus\`): a 4xx is an expected answer (a point lookup's 404), a \`network\`,
5xx or 429 attempt was retried and costs one call more than the minimum.

Graph chooses the \`/users/delta\` page size itself (no \`$top\`); the fake serves 200 users a page, so a
full delta round costs more calls than \`/users\` at \`$top=999\` — but every later round is one page.
GitHub's run 3 adds two calls per removed member: the point lookup (user, then org membership) that
confirms the removal before deactivating.
`;
record(md);
