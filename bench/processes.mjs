// Child processes of the SCIM benchmarks (scim.mjs, scim-profile.mjs, scim-log-rounds.mjs): each
// server in a process of its own, so its CPU time can be read apart from the load generator's.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** Starts `script` (next to this file) with `env` added; `ready` is the first JSON line it prints. */
export function child(script, env, nodeArgs = []) {
  const p = spawn(process.execPath, [...nodeArgs, new URL(script, import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const ready = new Promise((resolve, reject) => {
    createInterface({ input: p.stdout }).once('line', (l) => resolve(JSON.parse(l)));
    p.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { p, ready };
}

/**
 * A process's CPU time in ms, user and system, all its threads (Linux /proc; undefined where there
 * is none): far less sensitive to other load on the machine than req/s.
 */
export function cpuMs(pid) {
  const statPath = `/proc/${pid}/stat`;
  if (!existsSync(statPath)) return undefined;
  const f = readFileSync(statPath, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}
