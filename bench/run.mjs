// Directory benchmark: compiles bench/directory.ts with tsc into node_modules/.cache (so bare
// imports resolve), runs it for each provider and size in its own process (peak RSS is per run),
// and appends a section to bench/RESULTS.md (BENCH_RECORD=0 to skip).
// Usage: node bench/run.mjs [N[,N…]] [provider …]. Not part of npm test.
import { compileBench, machine, record, runRow } from './compile.mjs';

const sizes = (process.argv[2] ?? '100000').split(',').map(Number);
const n = Math.max(...sizes);
const providers = process.argv.length > 3 ? process.argv.slice(3) : ['google', 'microsoft', 'github', 'github-nosaml'];

compileBench(['bench/directory.ts', 'bench/fake-server.ts']);

const rows = [];
for (const size of sizes) for (const p of providers) rows.push(runRow('bench/directory.ts', [p, String(size)]));

const md = `
### Directory listing — ${sizes.map((x) => x.toLocaleString('en-US')).join(' and ')} users per provider from the local fakes, maximum page size

- Date: ${new Date().toISOString().slice(0, 10)}
- Machine: ${machine()}
- Command: \`node bench/run.mjs ${process.argv.slice(2).join(' ') || String(n)}\` (compiles with tsc, then one process per row)
- Setup: the fake directory runs in a child process on 127.0.0.1 (real HTTP, its own token endpoint and
  bearer checks); the connector under test runs in the measured process. RSS is that process's peak
  (\`process.resourceUsage().maxRSS\`), "before" is after start-up, before the listing. Comparing sizes
  shows whether memory grows with the directory (streaming keeps it to about one page).

| provider | users | complete | pages | API calls | minimum (formula) | at minimum | wall time | users/s | RSS before | peak RSS |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.map((r) => `| ${r.provider} | ${r.users} | ${r.complete} | ${r.pages} | ${r.apiCalls} (${r.authCalls} auth) | ${r.minimumCalls}: ${r.formula} | ${r.callsAtMinimum ? 'yes' : '**no**'} | ${(r.wallMs / 1000).toFixed(2)} s | ${r.usersPerSecond} | ${r.rssBeforeMiB} MiB | ${r.peakRssMiB} MiB |`).join('\n')}

GitHub costs more than ceil(N/100) because org members carry no role and no email: admins come from
the same listing with \`role=admin\`, and emails from the SAML identities over GraphQL (100 per page).
\`github-nosaml\` is an org without SAML SSO (the GraphQL query answers \`samlIdentityProvider: null\`).
Peak RSS for \`github\` includes the login → email map of the SAML join (one short entry per identity).
`;
record(md);
