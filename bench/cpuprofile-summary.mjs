// Sums a V8 .cpuprofile (node --cpu-prof): self time by package or dist file, by function, and
// inclusive time by function (all, then idsync's own), each also as µs per request when told how
// many requests the profile covers. Used by bench/scim-profile.mjs; on its own:
// `node bench/cpuprofile-summary.mjs FILE.cpuprofile [REQUESTS]`.
import { readFileSync } from 'node:fs';

export /** Sums a .cpuprofile: self time by package/file and by function, inclusive time by function. */
function summarize(profile, sent = 1) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const fileOf = (url) => {
    if (!url) return '(native)';
    const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return nm[1];
    const dist = /\/dist\/(.*)$/.exec(url);
    if (dist) return `dist/${dist[1]}`;
    return url.startsWith('node:') ? url : url.replace(/^file:\/\//, '');
  };
  const keyOf = (n) => `${n.callFrame.functionName || '(anonymous)'} ${fileOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  const selfFn = new Map();
  const selfFile = new Map();
  const incl = new Map();
  let total = 0;
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const n = byId.get(id);
    if (n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)') return;
    total += dt;
    add(selfFn, keyOf(n), dt);
    add(selfFile, fileOf(n.callFrame.url), dt);
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const k = keyOf(byId.get(cur));
      if (!seen.has(k)) {
        seen.add(k);
        add(incl, k, dt);
      }
    }
  });
  const top = (m, n, only = () => true) =>
    [...m.entries()]
      .filter(([k]) => only(k))
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, v]) => `${((v / total) * 100).toFixed(1).padStart(5)}% ${(v / sent).toFixed(1).padStart(6)} µs  ${k}`)
      .join('\n');
  console.log(`\nbusy time ${(total / 1000).toFixed(0)} ms over ${sent} lookups (warm-up included), ${(total / sent).toFixed(0)} µs each under the profiler\n\n== self by package/file ==\n${top(selfFile, 30)}\n\n== self by function ==\n${top(selfFn, 40)}\n\n== inclusive by function ==\n${top(incl, 40)}\n\n== inclusive by idsync function (dist/) ==\n${top(incl, 60, (k) => k.includes(' dist/'))}`);
}

if (import.meta.url === `file://${process.argv[1]}`) summarize(JSON.parse(readFileSync(process.argv[2], 'utf8')), Number(process.argv[3] ?? 1));
