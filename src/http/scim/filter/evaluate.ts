import type { AttrPath, CompareOp, FilterNode, Literal } from './parse.js';

/**
 * Evaluates a filter AST against a SCIM resource in its JSON form. Strings compare
 * case-insensitively except for case-exact attributes (RFC 7643: id, externalId); dateTime
 * attributes compare as instants; a multi-valued attribute matches when any value does.
 */
type Json = Record<string, unknown>;

const CORE_URNS = new Set(['urn:ietf:params:scim:schemas:core:2.0:user', 'urn:ietf:params:scim:schemas:core:2.0:group']);
const CASE_EXACT = new Set(['id', 'externalid', 'meta.version']);
const DATE_TIME = new Set(['meta.created', 'meta.lastmodified']);

function pick(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
  const lower = key.toLowerCase();
  for (const [k, v] of Object.entries(obj as Json)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

/** The container an attribute lives in: the resource, or an extension object for a URN path. */
function container(resource: Json, path: AttrPath): unknown {
  if (!path.uri || CORE_URNS.has(path.uri.toLowerCase())) return resource;
  return pick(resource, path.uri);
}

export function valuesAt(resource: Json, path: AttrPath): unknown[] {
  const top = pick(container(resource, path), path.attr);
  const tops = top === undefined || top === null ? [] : Array.isArray(top) ? top : [top];
  if (!path.sub) return tops;
  return tops.flatMap((t) => {
    const v = pick(t, path.sub!);
    return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
  });
}

const key = (path: AttrPath) => `${path.attr}${path.sub ? `.${path.sub}` : ''}`.toLowerCase();

function compare(actual: unknown, op: CompareOp, expected: Literal, caseExact: boolean, dateTime: boolean): boolean {
  if (expected === null) return op === 'eq' ? actual === null || actual === undefined : op === 'ne' ? actual !== null && actual !== undefined : false;
  if (typeof expected === 'boolean') {
    if (typeof actual !== 'boolean') return op === 'ne';
    return op === 'eq' ? actual === expected : op === 'ne' ? actual !== expected : false;
  }
  if (dateTime && typeof actual === 'string' && typeof expected === 'string') {
    const a = Date.parse(actual);
    const e = Date.parse(expected);
    if (Number.isNaN(a) || Number.isNaN(e)) return false;
    return ordered(a, op, e);
  }
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') return op === 'ne';
    return ordered(actual, op, expected);
  }
  if (typeof actual !== 'string') return op === 'ne';
  const a = caseExact ? actual : actual.toLowerCase();
  const e = caseExact ? expected : expected.toLowerCase();
  switch (op) {
    case 'co':
      return a.includes(e);
    case 'sw':
      return a.startsWith(e);
    case 'ew':
      return a.endsWith(e);
    default:
      return ordered(a, op, e);
  }
}

function ordered<T extends string | number>(a: T, op: CompareOp, e: T): boolean {
  switch (op) {
    case 'eq':
      return a === e;
    case 'ne':
      return a !== e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

function present(values: unknown[]): boolean {
  return values.some((v) => v !== '' && !(Array.isArray(v) && v.length === 0) && !(typeof v === 'object' && v !== null && Object.keys(v).length === 0));
}

function compareAll(values: unknown[], path: AttrPath, op: CompareOp, expected: Literal): boolean {
  const k = key(path);
  const caseExact = CASE_EXACT.has(k);
  const dateTime = DATE_TIME.has(k);
  // "ne" holds when no value equals; the other operators when some value satisfies them.
  if (op === 'ne') return !values.some((v) => compare(v, 'eq', expected, caseExact, dateTime));
  if (values.length === 0) return expected === null && op === 'eq';
  return values.some((v) => compare(v, op, expected, caseExact, dateTime));
}

export function matches(resource: Json, node: FilterNode): boolean {
  switch (node.kind) {
    case 'and':
      return matches(resource, node.left) && matches(resource, node.right);
    case 'or':
      return matches(resource, node.left) || matches(resource, node.right);
    case 'not':
      return !matches(resource, node.expr);
    case 'present':
      return present(valuesAt(resource, node.path));
    case 'compare':
      return compareAll(valuesAt(resource, node.path), node.path, node.op, node.value);
    case 'valuePath': {
      const elements = valuesAt(resource, { ...node.path, sub: undefined } as AttrPath).filter((e): e is Json => typeof e === 'object' && e !== null);
      const hits = elements.filter((e) => matches(e, node.filter));
      if (!node.then) return hits.length > 0;
      const { sub, op, value } = node.then;
      return hits.some((e) => {
        const vals = valuesAt(e, { attr: sub });
        return op === 'pr' ? present(vals) : compareAll(vals, { attr: `${node.path.attr}.${sub}` }, op, value ?? null);
      });
    }
  }
}
