import { ScimError } from './errors.js';
import { matches } from './filter/evaluate.js';
import { parseFilter, type FilterNode } from './filter/parse.js';

type Json = Record<string, unknown>;

/** A PATCH or `attributes` path with a value filter: `emails[type eq "work"]`, optionally `.value`. */
export interface ValuePath {
  attr: string;
  filter: FilterNode;
  sub?: string;
}

const VALUE_PATH = /^([A-Za-z][\w$-]*)\[(.+)\](?:\.([A-Za-z][\w$-]*))?$/s;

/** The value path in `text`, or undefined when it has no `[filter]`; a filter that does not parse is 400 invalidPath. */
export function parseValuePath(text: string): ValuePath | undefined {
  const m = VALUE_PATH.exec(text.trim());
  if (!m) return undefined;
  let filter: FilterNode;
  try {
    filter = parseFilter(m[2]!);
  } catch {
    throw new ScimError(400, `invalid value filter in path '${text}'`, 'invalidPath');
  }
  return { attr: m[1]!, filter, ...(m[3] ? { sub: m[3] } : {}) };
}

export const isPlainObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

export function findKey(obj: Json, name: string): string | undefined {
  const lower = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === lower);
}

/** The elements of the multi-valued attribute `path.attr` of `resource` that its filter selects. */
export function selectedValues(resource: Json, path: ValuePath): Json[] {
  const key = findKey(resource, path.attr);
  const list = key ? resource[key] : undefined;
  return Array.isArray(list) ? list.filter((e): e is Json => isPlainObject(e) && matches(e, path.filter)) : [];
}
