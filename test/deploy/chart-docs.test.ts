import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { CHART, read, readYaml, ROOT } from './chart-files.js';

const GENERATOR = join(ROOT, 'node_modules', '@bitnami', 'readme-generator-for-helm', 'bin', 'index.js');
const REGENERATE = 'npx readme-generator -v helm/idsync/values.yaml -r helm/idsync/README.md';

/** Chart.yaml, values.yaml and the ci/ examples: the chart's plain YAML files (templates are not YAML). */
const yamlFiles = ['Chart.yaml', 'values.yaml', ...readdirSync(join(CHART, 'ci')).filter((f) => f.endsWith('.yaml')).map((f) => join('ci', f))];

describe('chart README', () => {
  it('when the parameter table is regenerated from values.yaml in a copy, then README.md is unchanged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'idsync-readme-'));
    copyFileSync(join(CHART, 'values.yaml'), join(dir, 'values.yaml'));
    copyFileSync(join(CHART, 'README.md'), join(dir, 'README.md'));

    const run = spawnSync(process.execPath, [GENERATOR, '-v', join(dir, 'values.yaml'), '-r', join(dir, 'README.md')], { encoding: 'utf8' });

    expect({ status: run.status, output: run.status === 0 ? '' : run.stdout + run.stderr }).toEqual({ status: 0, output: '' });
    const regenerated = read(join(dir, 'README.md'));
    const current = read(join(CHART, 'README.md'));
    if (regenerated !== current) throw new Error(`helm/idsync/README.md is out of date with values.yaml: run \`${REGENERATE}\``);
    expect(current).toContain('| `store`');
  });

  it('when the README is read, then it covers a production Redis and backups', () => {
    const readme = read(join(CHART, 'README.md'));
    for (const topic of ['appendonly yes', 'maxmemory-policy noeviction', 'Sentinel', 'Cluster', '## Backups and restore', 'existingSecret', 'helm template']) {
      expect(readme).toContain(topic);
    }
  });
});

describe('chart YAML files', () => {
  it('when Chart.yaml is read, then it is a v2 application chart whose appVersion is the package version', () => {
    const chart = readYaml(join(CHART, 'Chart.yaml'));
    const pkg = JSON.parse(read(join(ROOT, 'package.json'))) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'idsync', type: 'application', appVersion: pkg.version });
    expect(chart.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
  });

  it('when yamllint is installed, then the chart YAML files pass it; otherwise each parses cleanly', () => {
    const probe = spawnSync('yamllint', ['--version'], { encoding: 'utf8' });
    if (probe.status === 0) {
      // CI machines may lack yamllint (apt-get install -y yamllint); the parse below still runs there.
      const lint = spawnSync('yamllint', ['-f', 'parsable', '-c', join(CHART, '.yamllint'), ...yamlFiles], { cwd: CHART, encoding: 'utf8' });
      expect({ status: lint.status, output: lint.stdout + lint.stderr }).toEqual({ status: 0, output: '' });
    }
    for (const file of yamlFiles) {
      const doc = parseDocument(read(join(CHART, file)), { uniqueKeys: true });
      expect({ file, errors: doc.errors.map((e) => e.message), warnings: doc.warnings.map((w) => w.message) }).toEqual({ file, errors: [], warnings: [] });
    }
    expect(yamlFiles.length).toBeGreaterThanOrEqual(7);
  });
});
