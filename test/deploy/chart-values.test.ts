import { describe, expect, it } from '@jest/globals';
import AjvModule from 'ajv';
import { join } from 'node:path';
import { KEYS } from '../../src/config/schema.js';
import { CHART, ciValues, defaultValues, getPath, isMap, leafPaths, paramLines, read, valueDocs, type Values } from './chart-files.js';

// ajv is CommonJS: under NodeNext the default import is module.exports, whose `default` is the class.
const Ajv = AjvModule.default;

interface SchemaNode {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaNode>;
}

const schema = JSON.parse(read(join(CHART, 'values.schema.json'))) as SchemaNode;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
const errorsOf = (values: Values) => (validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`));

/** The schema node describing a dotted values path, if any. */
function schemaAt(path: string): SchemaNode | undefined {
  let node: SchemaNode | undefined = schema;
  for (const key of path.split('.')) node = node?.properties?.[key];
  return node;
}

describe('values.schema.json', () => {
  it('when values.yaml is validated, then it passes', () => {
    expect(errorsOf(defaultValues())).toEqual([]);
  });

  it('when each example under ci/ is validated, then it passes', () => {
    const examples = ciValues();
    expect(examples.map(([f]) => f)).toEqual(
      expect.arrayContaining(['sqlite-values.yaml', 'redis-url-values.yaml', 'redis-sentinel-values.yaml', 'redis-cluster-hpa-values.yaml', 'postgres-values.yaml', 'postgres-url-values.yaml', 'ingress-monitoring-values.yaml']),
    );
    for (const [file, values] of examples) expect({ file, errors: errorsOf(values) }).toEqual({ file, errors: [] });
  });

  it('when values carry a typo, a wrong type, an unknown store or a bad Redis address, then each is rejected', () => {
    expect(errorsOf({ replicaCounts: 2 }).join()).toMatch(/additional properties/);
    expect(errorsOf({ replicaCount: 'two' }).join()).toMatch(/\/replicaCount must be integer/);
    expect(errorsOf({ store: 'mongo' }).join()).toMatch(/\/store must be equal to one of the allowed values/);
    expect(errorsOf({ redis: { sentinels: ['sentinel-without-port'] } }).join()).toMatch(/\/redis\/sentinels\/0 must match pattern/);
    // A password belongs in postgres.password or postgres.existingSecret, never in the ConfigMap's URL.
    expect(errorsOf({ postgres: { url: 'postgres://idsync:hunter2@db:5432/idsync' } }).join()).toMatch(/\/postgres\/url must match pattern/);
    expect(errorsOf({ postgres: { url: 'postgres://idsync@db:5432/idsync', ssl: 'prefer' } }).join()).toMatch(/\/postgres\/ssl must be equal to one of the allowed values/);
    expect(errorsOf({ extraSecretEnv: { 'lower-case': 'x' } }).join()).toMatch(/property name must be valid/);
  });

  it('when values.yaml is compared with the schema, then every value has a typed, described schema entry and the schema has nothing more', () => {
    const leaves = leafPaths(defaultValues());
    const missing = leaves.filter((p) => !schemaAt(p)?.type || !schemaAt(p)?.description);
    expect(missing).toEqual([]);

    const described: string[] = [];
    const walk = (node: SchemaNode, prefix: string) => {
      for (const [k, child] of Object.entries(node.properties ?? {})) {
        const path = prefix ? `${prefix}.${k}` : k;
        if (child.properties) walk(child, path);
        else described.push(path);
      }
    };
    walk(schema, '');
    // `global` is what parent charts pass down; values.yaml has no reason to hold it.
    expect(described.filter((p) => p !== 'global' && !leaves.includes(p))).toEqual([]);
  });
});

describe('values.yaml documentation', () => {
  const text = read(join(CHART, 'values.yaml'));
  const docs = valueDocs(text);
  const leaves = leafPaths(defaultValues());

  it('when every value is read, then each carries a "# --" comment and a "## @param" line with the same text', () => {
    const problems = leaves.flatMap((path) => {
      const d = docs.get(path);
      if (!d) return [`${path}: key line not found`];
      if (!d.helmDocs) return [`${path} (line ${d.line}): no "# --" comment above it`];
      if (!d.param) return [`${path} (line ${d.line}): no "## @param ${path}" line above it`];
      return d.param === d.helmDocs ? [] : [`${path} (line ${d.line}): "# --" and "## @param" texts differ`];
    });
    expect(problems).toEqual([]);
    expect(leaves.length).toBeGreaterThan(60);
  });

  it('when the @param lines are listed, then they name exactly the values, once each', () => {
    const params = paramLines(text);
    expect([...params].sort()).toEqual([...leaves].sort());
  });

  it('when a value mirrors an application config key, then its default is the application default', () => {
    const values = defaultValues();
    const mirrored = KEYS.filter((k) => getPath(values, k.path) !== undefined && !isMap(getPath(values, k.path)));
    expect(mirrored.map((k) => k.path)).toEqual(expect.arrayContaining(['store', 'server.port', 'server.bodyLimit', 'log.level', 'redis.keyPrefix', 'secretKey']));
    for (const k of mirrored) {
      const v = getPath(values, k.path);
      expect({ key: k.path, value: Array.isArray(v) ? v.join(',') : v }).toEqual({ key: k.path, value: k.default });
    }
  });
});
