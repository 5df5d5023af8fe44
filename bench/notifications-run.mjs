// Notification benchmark: compiles bench/notifications.ts (like bench/run.mjs), runs it once per
// provider in its own process, and appends a section to bench/RESULTS.md (BENCH_RECORD=0 to skip).
// Each provider runs twice: paced at RATE changes a second (a steady stream), and as a burst.
// Usage: node bench/notifications-run.mjs [N] [CONCURRENCY] [RATE] [provider …]. Not part of npm test.
import { compileBench, load, machine, record, runRow } from './compile.mjs';

const N = Number(process.argv[2] ?? 1000);
const C = Number(process.argv[3] ?? 10);
const RATE = Number(process.argv[4] ?? 20);
const providers = process.argv.length > 5 ? process.argv.slice(5) : ['microsoft', 'github', 'google'];

compileBench(['bench/notifications.ts']);
const loadBefore = load();
const results = providers.flatMap((p) => [RATE, 0].map((rate) => runRow('bench/notifications.ts', [p, String(N), String(C), String(rate)])));
const loadAfter = load();
const calls = (o) => Object.entries(o ?? {}).map(([k, n]) => `${k} ${n}`).join(', ');
const rows = results.map((r) => `| ${r.provider} | ${r.changes} | ${r.rate ? `${r.rate}/s` : 'burst'} | ${r.concurrency} | ${r.deactivated} | ${r.p50Ms} ms | ${r.p99Ms} ms | ${r.maxMs} ms | ${(r.wallMs / 1000).toFixed(1)} s | ${calls(r.apiCalls)} | ${calls(r.upkeepCalls) || '—'} |`);
record(`
### Real-time offboarding — directory change to local deactivation, ${N} changes per provider, ${C} in flight

${machine()}; load ${loadBefore} → ${loadAfter}. Local fakes over HTTP, the real app and services on a SQLite file store.
Each change is made upstream, then notified the documented way; the lag runs from just before the change to the audit event.

| provider | changes | offered | in flight | deactivated | p50 | p99 | max | wall | directory API calls during the changes | upkeep before them |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}
`);
