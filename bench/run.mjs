// Directory benchmark: compiles bench/directory.ts with tsc into node_modules/.cache (so bare
// imports resolve), runs it for each provider and size in its own process (peak RSS is per run),
// and appends a section to bench/RESULTS.md (BENCH_RECORD=0 to skip).
// Usage: node bench/run.mjs [N[,N…]] [provider …]. Not part of npm test.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'node_modules', '.cache', 'idsync-bench');
const sizes = (process.argv[2] ?? '100000').split(',').map(Number);
const n = Math.max(...sizes);
const providers = process.argv.length > 3 ? process.argv.slice(3) : ['google', 'microsoft', 'github', 'github-nosaml'];

const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), 'bench/directory.ts', 'bench/fake-server.ts', '--outDir', out, '--rootDir', '.', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2023', '--types', 'node', '--strict', '--skipLibCheck', '--esModuleInterop'],
  { cwd: root, stdio: 'inherit' },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const rows = [];
for (const size of sizes) for (const p of providers) {
  const r = spawnSync(process.execPath, [join(out, 'bench', 'directory.js'), p, String(size)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const line = r.stdout.trim().split('\n').pop() ?? '{}';
  console.log(line);
  rows.push(JSON.parse(line));
  if (r.status !== 0) process.exitCode = 1;
}

const cpu = cpus();
const md = `
### Directory listing — ${sizes.map((x) => x.toLocaleString('en-US')).join(' and ')} users per provider from the local fakes, maximum page size

- Date: ${new Date().toISOString().slice(0, 10)}
- Machine: ${cpu.length} cores (${cpu[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}
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
if (process.env.BENCH_RECORD !== '0') {
  appendFileSync(join(root, 'bench', 'RESULTS.md'), md);
  console.log('appended to bench/RESULTS.md');
}
