// Reading the Helm chart for the deployment checks: values (parsed and as commented text),
// example values, and the Go templates as a stream of actions. No helm binary exists here, so
// these checks stand in for `helm lint` where they can (see helm/idsync/README.md).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHART = join(ROOT, 'helm', 'idsync');
export const TEMPLATES = join(CHART, 'templates');

export type Values = Record<string, unknown>;

export const read = (path: string): string => readFileSync(path, 'utf8');
export const readYaml = (path: string): Values => (parseYaml(read(path)) ?? {}) as Values;
export const defaultValues = (): Values => readYaml(join(CHART, 'values.yaml'));

/** The example values files under ci/, by file name. */
export function ciValues(): [string, Values][] {
  return readdirSync(join(CHART, 'ci'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => [f, readYaml(join(CHART, 'ci', f))]);
}

export const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Leaf paths as Helm users set them: scalars, lists and empty maps (readme-generator's notion too). */
export function leafPaths(values: Values, prefix = ''): string[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return isMap(v) && Object.keys(v).length > 0 ? leafPaths(v, path) : [path];
  });
}

/** Every path of a node, leaf or group. */
export function allPaths(values: Values, prefix = ''): string[] {
  return Object.entries(values).flatMap(([k, v]) => {
    const path = prefix ? `${prefix}.${k}` : k;
    return isMap(v) ? [path, ...allPaths(v, path)] : [path];
  });
}

export function getPath(values: Values, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (isMap(node) ? node[key] : undefined), values);
}

/** Helm's merge of a values file over the defaults: maps merge, everything else replaces. */
export function mergeValues(base: Values, over: Values): Values {
  const out: Values = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isMap(v) && isMap(base[k]) ? mergeValues(base[k], v) : v;
  return out;
}

export interface ValueDocs {
  /** The text of the "# -- text" line right above the key, if any. */
  helmDocs?: string;
  /** The text of a "## @param <path> text" line above the key, if any. */
  param?: string;
  line: number;
}

/**
 * The doc comments above each key of values.yaml, by dotted path. Line based: values.yaml is kept
 * in block style with one key per line, which this relies on.
 */
export function valueDocs(text: string): Map<string, ValueDocs> {
  const docs = new Map<string, ValueDocs>();
  const stack: { indent: number; key: string }[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^( *)([A-Za-z0-9_-]+):(\s|$)/.exec(line);
    if (!m) return;
    const indent = m[1]!.length;
    while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop();
    stack.push({ indent, key: m[2]! });
    const path = stack.map((s) => s.key).join('.');
    const entry: ValueDocs = { line: i + 1 };
    for (let j = i - 1; j >= 0 && /^\s*#/.test(lines[j]!); j--) {
      const c = lines[j]!.trim();
      const helm = /^# -- (.+)$/.exec(c);
      if (helm && entry.helmDocs === undefined) entry.helmDocs = helm[1]!.trim();
      const param = /^## @param (\S+) (.+)$/.exec(c);
      if (param && param[1] === path) entry.param = param[2]!.trim();
    }
    docs.set(path, entry);
  });
  return docs;
}

/** Every "## @param <path>" line of values.yaml. */
export const paramLines = (text: string): string[] => [...text.matchAll(/^\s*## @param (\S+)/gm)].map((m) => m[1]!);

export function templateFiles(): string[] {
  return readdirSync(TEMPLATES).sort();
}

export interface ValuesRef {
  path: string;
  /** Rendered whole (toYaml), so it covers every value below it. */
  whole: boolean;
  /** Written as `.Values` (not `$.Values`) inside a with/range block, where `.` is something else. */
  shadowed: boolean;
}

export interface Action {
  text: string;
  keyword: string;
  /** The conditions of the if/else-if branches enclosing this action, outermost first. */
  conditions: string[];
  /** with/range blocks enclosing this action. */
  rebinding: boolean;
}

export interface ParsedTemplate {
  actions: Action[];
  refs: ValuesRef[];
  /** Structural problems: unbalanced braces or blocks. */
  problems: string[];
}

const BLOCK_OPENERS = new Set(['if', 'with', 'range', 'define', 'block']);

/** Splits a Go template into actions and tracks block nesting. Not a renderer: no output. */
export function parseTemplate(text: string): ParsedTemplate {
  const problems: string[] = [];
  const opens = (text.match(/\{\{/g) ?? []).length;
  const closes = (text.match(/\}\}/g) ?? []).length;
  if (opens !== closes) problems.push(`${opens} "{{" but ${closes} "}}"`);
  const actions: Action[] = [];
  const refs: ValuesRef[] = [];
  const stack: { keyword: string; condition: string }[] = [];
  for (const m of text.matchAll(/\{\{-?\s*([\s\S]*?)\s*-?\}\}/g)) {
    const body = m[1]!;
    if (body.includes('{{')) problems.push(`nested "{{" in ${JSON.stringify(m[0].slice(0, 60))}`);
    if (body.startsWith('/*')) {
      if (!body.endsWith('*/')) problems.push(`unterminated comment ${JSON.stringify(m[0].slice(0, 60))}`);
      continue;
    }
    const keyword = /^(else if|[A-Za-z]+)/.exec(body)?.[1] ?? '';
    const rebinding = stack.some((s) => s.keyword === 'with' || s.keyword === 'range');
    actions.push({ text: body, keyword, conditions: stack.filter((s) => s.keyword === 'if').map((s) => s.condition), rebinding });
    for (const r of body.matchAll(/(\$?)\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g)) {
      const whole = body.slice(0, r.index).trimEnd().endsWith('toYaml');
      refs.push({ path: r[2]!, whole, shadowed: rebinding && r[1] !== '$' });
    }
    if (BLOCK_OPENERS.has(keyword)) stack.push({ keyword, condition: body.slice(keyword.length).trim() });
    else if (keyword === 'else if' && stack.length > 0) stack.at(-1)!.condition = body.slice('else if'.length).trim();
    else if (keyword === 'else' && stack.length > 0) stack.at(-1)!.condition = `not (${stack.at(-1)!.condition})`;
    else if (keyword === 'end' && stack.pop() === undefined) problems.push('"end" without an open block');
  }
  if (stack.length > 0) problems.push(`unclosed ${stack.map((s) => s.keyword).join(', ')}`);
  return { actions, refs, problems };
}
