import { describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const ROOT = resolve('src');

/** Every .ts file under a folder of src/, by path relative to src/. */
function filesUnder(folder: string): string[] {
  return (readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((d) => d.isFile() && d.name.endsWith('.ts'))
    .map((d) => relative(ROOT, join(d.parentPath, d.name)));
}

/** The src/-relative files a module imports (type imports, re-exports and dynamic imports included: a cycle of types is still a cycle). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'|\bimport\(\s*'(\.[^']+)'\s*\)/gms)].map((m) => (m[1] ?? m[2])!);
  return specs.map((s) => relative(ROOT, resolve(dirname(join(ROOT, file)), s)).replace(/\.js$/, '.ts'));
}

/** One cycle of the import graph restricted to `files`, or undefined. */
function findCycle(files: string[], edges: (file: string) => string[] = importsOf): string[] | undefined {
  const inside = new Set(files);
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (f: string): string[] | undefined => {
    if (state.get(f) === 'done') return undefined;
    if (state.get(f) === 'open') return [...path.slice(path.indexOf(f)), f];
    state.set(f, 'open');
    path.push(f);
    for (const next of edges(f).filter((i) => inside.has(i))) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(f, 'done');
    return undefined;
  };
  for (const f of files) {
    const cycle = visit(f);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('the ports layer', () => {
  const ports = filesUnder('ports');

  it('when the store port is read, then it is cut into one file per area under ports/store/', () => {
    expect(ports.filter((f) => f.startsWith('ports/store/')).sort()).toEqual(
      ['audit', 'connections', 'credentials', 'cross-org', 'invitations', 'leases', 'members', 'merges', 'orgs', 'role-mappings', 'scim-log', 'sessions', 'signals', 'signup', 'support', 'teams', 'types', 'webhooks'].map((a) => `ports/store/${a}.ts`),
    );
  });

  it('when its modules import each other, then there is no cycle', () => {
    expect(findCycle(ports)).toBeUndefined();
  });

  it('when a port module imports, then only domain/ and ports/ are named', () => {
    const outward = ports.flatMap((f) => importsOf(f).filter((i) => !i.startsWith('domain/') && !i.startsWith('ports/')).map((i) => `${f} -> ${i}`));
    expect(outward).toEqual([]);
  });

  it('when a graph has a cycle, then it is found and reading the imports sees re-exports (the checks are not vacuous)', () => {
    const graph: Record<string, string[]> = { a: ['b'], b: ['c'], c: ['a'], d: ['a'] };
    expect(findCycle(Object.keys(graph), (f) => graph[f] ?? [])).toEqual(['a', 'b', 'c', 'a']);
    expect(importsOf('ports/store.ts')).toContain('ports/store/types.ts');
    expect(importsOf('ports/paging.ts')).toEqual(['ports/store/types.ts']);
  });
});

describe('the backends', () => {
  // The BullMQ tick runner is Redis by nature and connects the way the store does; the composition
  // root hands it out, so no other module learns which backend it has.
  const allowed = (f: string) => f.startsWith('app/') || f.startsWith('store/') || /^runtime\/bullmq-[\w-]+\.ts$/.test(f);

  it('when a module outside the composition root imports, then no concrete store backend is named', () => {
    const all = filesUnder('.').filter((f) => !allowed(f));
    const concrete = all.flatMap((f) => importsOf(f).filter((i) => /^store\/(sqlite|redis)\//.test(i)).map((i) => `${f} -> ${i}`));
    expect(all.length).toBeGreaterThan(100);
    expect(concrete).toEqual([]);
  });
});


describe('the inner layers', () => {
  const services = filesUnder('services');
  const domain = filesUnder('domain');

  it('when services import each other, then there is no cycle', () => {
    expect(findCycle(services)).toBeUndefined();
  });

  it('when the domain or a service imports, then it imports only inward (domain nothing else; services domain, ports and services)', () => {
    const outward = (files: string[], allowed: string[]) => files.flatMap((f) => importsOf(f).filter((i) => !allowed.some((a) => i.startsWith(a))).map((i) => `${f} -> ${i}`));
    expect(outward(domain, ['domain/'])).toEqual([]);
    expect(outward(services, ['domain/', 'ports/', 'services/'])).toEqual([]);
  });

  it('when the join pages serve a request, then they call the join service, not its internals', () => {
    const internals = filesUnder('http/join').flatMap((f) => importsOf(f).filter((i) => i.startsWith('services/') && !i.startsWith('services/join/')).map((i) => `${f} -> ${i}`));
    expect(internals).toEqual([]);
  });

  it('when a source file grows, then it stays within 400 lines (a longer one is usually two)', () => {
    const long = filesUnder('.').map((f) => [f, readFileSync(join(ROOT, f), 'utf8').split('\n').length] as const).filter(([, n]) => n > 400);
    expect(long).toEqual([]);
  });
});
