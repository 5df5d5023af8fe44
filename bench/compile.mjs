// Shared by the bench runners: compile TypeScript bench entry points with tsc into
// node_modules/.cache (so bare imports resolve), run one entry per row in its own process (peak RSS
// is per process), describe the machine, and append a section to bench/RESULTS.md.
import { spawnSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export const root = new URL('..', import.meta.url).pathname;
// BENCH_OUT_DIR: another place inside the checkout (a worktree whose node_modules is a shared symlink
// keeps its compiled bench to itself); bare imports resolve from any directory under the root.
const out = process.env.BENCH_OUT_DIR ? join(root, process.env.BENCH_OUT_DIR) : join(root, 'node_modules', '.cache', 'idsync-bench');

/** Compiles the given bench/*.ts files (and what they import); exits the runner when tsc fails. */
export function compileBench(files) {
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), ...files, '--outDir', out, '--rootDir', '.', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2023', '--types', 'node', '--strict', '--skipLibCheck', '--esModuleInterop', '--resolveJsonModule'],
    { cwd: root, stdio: 'inherit' },
  );
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

/** Runs a compiled bench entry (`bench/x.ts` → its .js) and returns its last stdout line as JSON. */
export function runRow(file, args, nodeArgs = []) {
  const r = spawnSync(process.execPath, [...nodeArgs, join(out, file.replace(/\.ts$/, '.js')), ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 2 ** 20 });
  const line = r.stdout.trim().split('\n').pop() || '{}';
  console.log(line);
  if (r.status !== 0) process.exitCode = 1;
  return JSON.parse(line);
}

export function machine() {
  const cpu = cpus();
  return `${cpu.length} cores (${cpu[0]?.model.trim()}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform}/${process.arch}`;
}

/** The 1-minute load average now, for saying whether the machine was busy. */
export const load = () => loadavg()[0].toFixed(2);

export function record(md) {
  if (process.env.BENCH_RECORD === '0') return;
  appendFileSync(join(root, 'bench', 'RESULTS.md'), md);
  console.log('appended to bench/RESULTS.md');
}
