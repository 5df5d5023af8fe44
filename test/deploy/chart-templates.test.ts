import { describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import { KEYS } from '../../src/config/schema.js';
import { allPaths, defaultValues, leafPaths, parseTemplate, read, templateFiles, TEMPLATES, type ParsedTemplate } from './chart-files.js';

const files = templateFiles();
const parsed = new Map<string, ParsedTemplate>(files.map((f) => [f, parseTemplate(read(join(TEMPLATES, f)))]));
const template = (f: string) => parsed.get(f)!;
const allRefs = [...parsed.values()].flatMap((p) => p.refs);

/**
 * Values that no template reads. Empty: every value does something. A value kept only for
 * documentation would be listed here with the reason.
 */
const DOCUMENTATION_ONLY: readonly string[] = [];

describe('chart templates', () => {
  it('when the templates directory is listed, then it holds one template per resource and the helpers', () => {
    expect(files).toEqual(
      [
        'NOTES.txt', '_helpers.tpl', 'configmap.yaml', 'dashboard.yaml', 'deployment.yaml', 'hpa.yaml', 'ingress.yaml', 'networkpolicy.yaml', 'pdb.yaml',
        'prometheusrule.yaml', 'pvc.yaml', 'secret.yaml', 'service.yaml', 'serviceaccount.yaml', 'servicemonitor.yaml', 'validate.yaml',
      ].sort(),
    );
    for (const f of files.filter((x) => x.endsWith('.yaml') && x !== 'validate.yaml')) {
      const text = read(join(TEMPLATES, f));
      expect({ f, kinds: text.match(/^kind: /gm)?.length, apiVersions: text.match(/^apiVersion: /gm)?.length }).toEqual({ f, kinds: 1, apiVersions: 1 });
    }
  });

  it('when each template is scanned, then its {{ }} delimiters pair up and every if/with/range/define has its end', () => {
    for (const f of files) expect({ f, problems: template(f).problems }).toEqual({ f, problems: [] });
  });

  it('when a template reads .Values inside with or range, then it writes $.Values (there `.` is the loop item)', () => {
    const shadowed = files.flatMap((f) => template(f).refs.filter((r) => r.shadowed).map((r) => `${f}: .Values.${r.path}`));
    expect(shadowed).toEqual([]);
  });

  it('when the templates reference .Values paths, then every one exists in values.yaml', () => {
    const known = new Set(allPaths(defaultValues()));
    const unknown = [...new Set(allRefs.map((r) => r.path))].filter((p) => !known.has(p));
    expect(unknown).toEqual([]);
    expect(allRefs.length).toBeGreaterThan(80);
  });

  it('when values.yaml is read, then every value is used by a template (or listed as documentation only)', () => {
    const used = (leaf: string) => allRefs.some((r) => r.path === leaf || (r.whole && leaf.startsWith(`${r.path}.`)));
    const unused = leafPaths(defaultValues()).filter((leaf) => !used(leaf) && !DOCUMENTATION_ONLY.includes(leaf));
    expect(unused).toEqual([]);
  });

  it('when an optional resource is rendered, then the whole file sits inside the guard that turns it on', () => {
    const guards: Record<string, RegExp> = {
      'ingress.yaml': /^if \.Values\.ingress\.enabled$/,
      'pdb.yaml': /^if \.Values\.podDisruptionBudget\.enabled$/,
      'hpa.yaml': /^if \.Values\.autoscaling\.enabled$/,
      'servicemonitor.yaml': /^if \.Values\.metrics\.serviceMonitor\.enabled$/,
      'networkpolicy.yaml': /^if \.Values\.networkPolicy\.enabled$/,
      'serviceaccount.yaml': /^if \.Values\.serviceAccount\.create$/,
      'secret.yaml': /^if not \.Values\.existingSecret$/,
      'pvc.yaml': /^if and \(include "idsync\.persistent" \.\) \(not \.Values\.persistence\.existingClaim\)$/,
    };
    for (const [f, guard] of Object.entries(guards)) {
      const { actions } = template(f);
      expect({ f, first: actions[0]?.text }).toEqual({ f, first: expect.stringMatching(guard) });
      // Everything else is nested inside that first if, and its end is the last action.
      expect({ f, outside: actions.slice(1, -1).filter((a) => a.conditions.length === 0).map((a) => a.text) }).toEqual({ f, outside: [] });
      expect({ f, last: actions.at(-1)?.keyword }).toEqual({ f, last: 'end' });
    }
    expect(read(join(TEMPLATES, '_helpers.tpl'))).toMatch(/define "idsync\.persistent"[\s\S]*eq \.Values\.store "sqlite"[\s\S]*\.Values\.persistence\.enabled/);
  });

  it('when the chart sets IDSYNC_* variables, then idsync knows every one of them (src/config/schema.ts)', () => {
    const known = new Set(KEYS.map((k) => k.env));
    const set = new Set(files.flatMap((f) => [...read(join(TEMPLATES, f)).matchAll(/\bIDSYNC_[A-Z0-9_]+/g)].map((m) => m[0])));
    expect([...set].filter((name) => !known.has(name))).toEqual([]);
    expect(set.size).toBeGreaterThan(15);
  });

  it('when a ConfigMap or Secret entry is fed by a value mirroring a config key, then the entry is that key\'s variable', () => {
    const byPath = new Map(KEYS.map((k) => [k.path, k.env]));
    const mismatched: string[] = [];
    let checked = 0;
    for (const f of ['configmap.yaml', 'secret.yaml']) {
      for (const m of read(join(TEMPLATES, f)).matchAll(/^\s+(IDSYNC_[A-Z0-9_]+): (.*)$/gm)) {
        const paths = [...m[2]!.matchAll(/\.Values\.([\w.]+)/g)].map((r) => r[1]!).filter((p) => byPath.has(p));
        if (paths.length === 0) continue;
        checked++;
        if (paths.length !== 1 || byPath.get(paths[0]!) !== m[1]) mismatched.push(`${f}: ${m[1]} <- ${paths.join(', ')}`);
      }
    }
    expect(mismatched).toEqual([]);
    expect(checked).toBeGreaterThan(15);
  });

  it('when validate.yaml is read, then it fails on each impossible combination', () => {
    const fails = template('validate.yaml').actions.filter((a) => a.keyword === 'fail' || a.text.startsWith('fail ('));
    const failing = (...conditions: RegExp[]) => fails.filter((a) => conditions.every((c) => a.conditions.some((x) => c.test(x))));
    const sqlite = /^eq \.Values\.store "sqlite"$/;
    const redis = /^eq \.Values\.store "redis"$/;
    expect(failing(sqlite, /^gt \(int \.Values\.replicaCount\) 1$/)).toHaveLength(1);
    expect(failing(sqlite, /^\.Values\.autoscaling\.enabled$/)).toHaveLength(1);
    expect(failing(sqlite, /^and \(not \.Values\.persistence\.enabled\) \(not \.Values\.persistence\.allowEphemeral\)$/)).toHaveLength(1);
    expect(failing(redis, /^eq \(len \$addresses\) 0$/)).toHaveLength(1);
    expect(failing(redis, /^gt \(len \$addresses\) 1$/)).toHaveLength(1);
    expect(failing(redis, /^and \(not \.Values\.secretKey\) \(not \.Values\.existingSecret\)$/)).toHaveLength(1);
    expect(failing(/^and \.Values\.redis\.password \.Values\.redis\.existingSecret$/)).toHaveLength(1);
    const postgres = /^eq \.Values\.store "postgres"$/;
    expect(failing(postgres, /^and \(not \.Values\.postgres\.url\) /)).toHaveLength(1);
    expect(failing(postgres, /^and \(not \.Values\.secretKey\) \(not \.Values\.existingSecret\)$/)).toHaveLength(1);
    expect(failing(/^and \.Values\.postgres\.password \.Values\.postgres\.existingSecret$/)).toHaveLength(1);
    expect(failing(/^and \.Values\.postgres\.existingSecretUrlKey \(not \.Values\.postgres\.existingSecret\)$/)).toHaveLength(1);
    expect(failing(/^and \.Values\.ingress\.enabled \(not \.Values\.ingress\.hosts\)$/)).toHaveLength(1);
    const text = read(join(TEMPLATES, 'validate.yaml'));
    for (const source of ['redis.url', 'redis.sentinels', 'redis.clusterNodes']) expect(text).toContain(`if .Values.${source} }}{{ $addresses = append $addresses "${source}" }}`);
    expect(text).toMatch(/existingSecret[\s\S]*cannot[\s\S]*read it/);
  });

  it('when the Deployment is read, then it probes, restricts and rolls as the issue asks', () => {
    const text = read(join(TEMPLATES, 'deployment.yaml'));
    expect(text).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/readyz/);
    expect(text).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/healthz/);
    expect(text).toMatch(/securityContext:\n\s+\{\{- toYaml \.Values\.podSecurityContext/);
    expect(text).toMatch(/securityContext:\n\s+\{\{- toYaml \.Values\.containerSecurityContext/);
    expect(text).toMatch(/- name: tmp\n\s+mountPath: \/tmp/);
    expect(text).toMatch(/- name: tmp\n\s+emptyDir:/);
    expect(text).toMatch(/checksum\/config: \{\{ include \(print \$\.Template\.BasePath "\/configmap\.yaml"\) \. \| sha256sum \}\}/);
    expect(text).toMatch(/checksum\/secret: \{\{ include \(print \$\.Template\.BasePath "\/secret\.yaml"\) \. \| sha256sum \}\}/);
    expect(text).toMatch(/\{\{- if \$shared \}\}\n\s+type: RollingUpdate[\s\S]*\{\{- else \}\}\n\s+type: Recreate/);
    expect(text).toMatch(/\$shared := ne \.Values\.store "sqlite"/);

    const v = defaultValues() as { podSecurityContext: Record<string, unknown>; containerSecurityContext: Record<string, unknown> };
    expect(v.podSecurityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, fsGroup: 10001, seccompProfile: { type: 'RuntimeDefault' } });
    expect(v.containerSecurityContext).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  });

  it('when NOTES.txt is read, then it tells how to reach the SCIM URL and create the first organization and token', () => {
    const notes = read(join(TEMPLATES, 'NOTES.txt'));
    expect(notes).toContain('{{ $publicUrl }}/scim/v2');
    expect(notes).toMatch(/port-forward svc\/\{\{ \$fullname \}\}/);
    expect(notes).toMatch(/exec deploy\/\{\{ \$fullname \}\} -- idsync orgs create --name "[^"]+" --json/);
    expect(notes).toMatch(/exec deploy\/\{\{ \$fullname \}\} -- idsync scim-tokens create --org ORG_ID/);
    expect(notes).toMatch(/exec deploy\/\{\{ \$fullname \}\} -- idsync doctor/);
  });
});
