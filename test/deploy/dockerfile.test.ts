import { describe, expect, it } from '@jest/globals';
import { validate } from 'dockerfile-utils';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KEYS } from '../../src/config/schema.js';
import { defaultValues, read, ROOT } from './chart-files.js';

const dockerfile = read(join(ROOT, 'Dockerfile'));

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions by build stage: comments dropped, backslash continuations joined. */
function stages(text: string): Stage[] {
  const out: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    if (/^\s*(#|$)/.test(line)) continue;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) line = `${line.trimEnd().slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const ins = { keyword: m[1]!.toUpperCase(), args: m[2]!.replace(/\s+/g, ' ').trim(), line: start + 1 };
    if (ins.keyword === 'FROM') {
      const [, from, name] = /^(\S+)(?: AS (\S+))?$/i.exec(ins.args) ?? [];
      out.push({ from: from ?? '', ...(name ? { name } : {}), instructions: [] });
    } else {
      out.at(-1)?.instructions.push(ins);
    }
  }
  return out;
}

const all = stages(dockerfile);
const runtime = all.at(-1)!;
const args = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const execForm = (json: string) => JSON.parse(json) as string[];

describe('Dockerfile', () => {
  it('when dockerfile-utils validates it, then it reports no error and no warning', () => {
    expect(validate(dockerfile).map((d) => `line ${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('when its stages are read, then the toolchain builds on node bookworm and the runtime is the slim image', () => {
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(all.slice(0, -1).every((s) => /^node:\$\{NODE_VERSION\}-bookworm$|^[a-z]+$/.test(s.from) && s.name)).toBe(true);
    expect(runtime.from).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=(22|24)$/m);
    const toolchain = all.find((s) => s.name === 'toolchain')!;
    expect(args(toolchain, 'RUN').join('\n')).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
  });

  it('when the runtime stage is assembled, then it takes production node_modules from an npm ci --omit=dev stage and only dist/ from the build', () => {
    const deps = all.find((s) => s.name === 'deps')!;
    const build = all.find((s) => s.name === 'build')!;
    expect(args(deps, 'RUN').join('\n')).toMatch(/npm ci --omit=dev/);
    expect(args(build, 'RUN').join('\n')).toMatch(/npm run build/);
    const copies = args(runtime, 'COPY');
    expect(copies).toEqual(expect.arrayContaining(['--from=deps /src/node_modules ./node_modules', '--from=build /src/dist ./dist']));
    expect(copies.filter((c) => c.startsWith('--from=')).length).toBe(2);
    const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { scripts: Record<string, string>; bin: Record<string, string> };
    expect(pkg.scripts.build).toContain('tsc');
    expect(pkg.bin.idsync).toBe('bin/idsync.js');
  });

  it('when the runtime stage is read, then it runs as a numeric non-root user under tini with a health check, /data and port 8080', () => {
    const user = args(runtime, 'USER').at(-1) ?? '';
    expect(user).toMatch(/^\d+(:\d+)?$/);
    const uid = Number(user.split(':')[0]);
    expect(uid).toBeGreaterThan(0);
    expect(uid).toBe((defaultValues().podSecurityContext as { runAsUser: number }).runAsUser);

    const health = args(runtime, 'HEALTHCHECK');
    expect(health).toHaveLength(1);
    const healthCmd = execForm(health[0]!.replace(/^.*?CMD /, ''));
    expect(healthCmd.slice(0, 2)).toEqual(['node', '-e']);
    expect(healthCmd[2]).toMatch(/fetch\('http:\/\/127\.0\.0\.1:'.*'\/healthz'/);

    expect(args(runtime, 'EXPOSE')).toEqual(['8080']);
    expect(args(runtime, 'VOLUME')).toEqual(['["/data"]']);
    expect(args(runtime, 'RUN').join('\n')).toMatch(/apt-get install -y --no-install-recommends tini/);
    expect(execForm(args(runtime, 'ENTRYPOINT')[0]!)).toEqual(['/usr/bin/tini', '--', '/usr/local/bin/idsync']);
    expect(args(runtime, 'RUN').join('\n')).toContain('ln -s /app/bin/idsync.js /usr/local/bin/idsync');
    expect(execForm(args(runtime, 'CMD')[0]!)).toEqual(['serve']);
    expect(args(runtime, 'RUN').join('\n')).toMatch(/chown 10001:10001 \/data/);
  });

  it('when its environment and labels are read, then it sets only known IDSYNC_* keys, /data and 0.0.0.0, and the OCI labels', () => {
    const env = args(runtime, 'ENV').join(' ');
    expect(env).toMatch(/IDSYNC_DATA_DIR=\/data\b/);
    expect(env).toMatch(/IDSYNC_HOST=0\.0\.0\.0\b/);
    const known = new Set(KEYS.map((k) => k.env));
    expect([...dockerfile.matchAll(/\bIDSYNC_[A-Z0-9_]+/g)].map((m) => m[0]).filter((n) => !known.has(n))).toEqual([]);
    const labels = args(runtime, 'LABEL').join(' ');
    for (const label of ['title', 'description', 'licenses', 'version', 'revision', 'created', 'source']) expect(labels).toContain(`org.opencontainers.image.${label}=`);
  });

  it('when the build context is filtered by .dockerignore, then it is an allowlist that admits every COPY source and nothing bulky', () => {
    const rules = read(join(ROOT, '.dockerignore'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(rules[0]).toBe('*');
    const allowed = rules.slice(1).map((r) => {
      expect(r.startsWith('!')).toBe(true);
      return r.slice(1);
    });
    for (const path of allowed) expect({ path, exists: existsSync(join(ROOT, path)) }).toEqual({ path, exists: true });
    for (const bulky of ['node_modules', '.git', 'dist', 'data', 'test', 'helm', 'config', 'bench']) expect(allowed.some((a) => a === bulky || a.startsWith(`${bulky}/`))).toBe(false);

    const sources = all
      .flatMap((s) => args(s, 'COPY'))
      .filter((c) => !c.startsWith('--from='))
      .flatMap((c) => c.split(' ').slice(0, -1));
    expect(sources.length).toBeGreaterThan(4);
    for (const src of sources) {
      const path = src.replace(/\/$/, '');
      expect({ src, exists: existsSync(join(ROOT, path)), admitted: allowed.some((a) => path === a || path.startsWith(`${a}/`)) }).toEqual({ src, exists: true, admitted: true });
    }
  });
});
