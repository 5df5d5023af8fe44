import { ScimError } from './errors.js';
import { matches } from './filter/evaluate.js';
import { parseAttrPath, type AttrPath, type FilterNode } from './filter/parse.js';
import { ENTERPRISE_SCHEMA } from './schemas.js';
import { parseValuePath } from './value-path.js';

/** An attribute a projection names; `filter` narrows a multi-valued one to the values it selects (`emails[type eq "work"]`). */
export interface Selector extends AttrPath {
  filter?: FilterNode;
}

/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5). `id` and `schemas` are always returned.
 * A name the resource does not have is ignored in both (never an error): an IdP asking for an
 * attribute this server does not store gets the resource without it.
 */
export interface Projection {
  include?: Selector[];
  exclude?: Selector[];
}

/** Splits a comma-separated list, keeping commas inside a value filter's brackets or quotes. */
function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"' && value[i - 1] !== '\\') quoted = !quoted;
    else if (!quoted && c === '[') depth++;
    else if (!quoted && c === ']') depth = Math.max(0, depth - 1);
    else if (!quoted && depth === 0 && c === ',') {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out.map((s) => s.trim()).filter(Boolean);
}

const CORE = /^urn:ietf:params:scim:schemas:core:2\.0:(user|group)$/i;

function parseList(value: unknown, name: string): Selector[] | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ScimError(400, `${name} must be a comma-separated list`, 'invalidValue');
  const out: Selector[] = [];
  for (const raw of splitList(value)) {
    if (raw.includes('[')) {
      let vp;
      try {
        vp = parseValuePath(raw);
      } catch {
        vp = undefined;
      }
      if (!vp) throw new ScimError(400, `invalid attribute '${raw}' in ${name}`, 'invalidValue');
      out.push({ attr: vp.attr, filter: vp.filter, ...(vp.sub ? { sub: vp.sub } : {}) });
      continue;
    }
    // A bare extension URN selects the whole extension object.
    if (raw.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase()) {
      out.push({ attr: raw });
      continue;
    }
    try {
      const p = parseAttrPath(raw);
      out.push(p.uri && CORE.test(p.uri) ? { attr: p.attr, ...(p.sub ? { sub: p.sub } : {}) } : p);
    } catch {
      throw new ScimError(400, `invalid attribute '${raw}' in ${name}`, 'invalidValue');
    }
  }
  return out;
}

export function parseProjection(query: Record<string, unknown>): Projection {
  const include = parseList(query.attributes, 'attributes');
  const exclude = parseList(query.excludedAttributes, 'excludedAttributes');
  return { ...(include ? { include } : {}), ...(exclude ? { exclude } : {}) };
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Whether a top-level attribute (e.g. `members`, `groups`) will be in the response: lets handlers skip loading it. */
export function wants(p: Projection, attr: string): boolean {
  if (p.include) return p.include.some((x) => !x.uri && same(x.attr, attr));
  if (p.exclude) return !p.exclude.some((x) => !x.uri && !x.sub && same(x.attr, attr));
  return true;
}

type Json = Record<string, unknown>;

function findKey(obj: Json, name: string): string | undefined {
  return Object.keys(obj).find((k) => same(k, name));
}

export function project(resource: Json, p: Projection): Json {
  if (p.include) {
    const out: Json = { schemas: resource.schemas, id: resource.id };
    for (const path of p.include) {
      const holderKey = path.uri ? findKey(resource, path.uri) : undefined;
      const src = path.uri ? (holderKey ? (resource[holderKey] as Json) : undefined) : resource;
      if (!src || typeof src !== 'object') continue;
      const k = findKey(src, path.attr);
      if (!k) continue;
      const dest = path.uri ? ((out[holderKey!] ??= {}) as Json) : out;
      const selected = path.filter && Array.isArray(src[k]) ? (src[k] as unknown[]).filter((e) => isJson(e) && matches(e, path.filter!)) : src[k];
      if (path.filter && (selected as unknown[]).length === 0) continue;
      if (!path.sub) dest[k] = selected;
      else {
        const v = selected;
        if (Array.isArray(v)) dest[k] = v.map((e) => pickSub(e, path.sub!)).filter((e) => e !== undefined);
        else if (v && typeof v === 'object') {
          const sk = findKey(v as Json, path.sub);
          if (sk) dest[k] = { ...((dest[k] as Json) ?? {}), [sk]: (v as Json)[sk] };
        }
      }
    }
    return out;
  }
  if (p.exclude) {
    const out: Json = { ...resource };
    for (const path of p.exclude) {
      if (same(path.attr, 'id') || same(path.attr, 'schemas')) continue;
      const holderKey = path.uri ? findKey(out, path.uri) : undefined;
      const holder = path.uri ? (holderKey ? ((out[holderKey] = { ...(out[holderKey] as Json) }) as Json) : undefined) : out;
      if (!holder) continue;
      const k = findKey(holder, path.attr);
      if (!k) continue;
      if (path.filter && Array.isArray(holder[k])) {
        holder[k] = (holder[k] as unknown[]).map((e) => (isJson(e) && matches(e, path.filter!) ? (path.sub ? withoutSub(e, path.sub) : undefined) : e)).filter((e) => e !== undefined);
      } else if (!path.sub) delete holder[k];
      else if (holder[k] && typeof holder[k] === 'object' && !Array.isArray(holder[k])) {
        const copy = { ...(holder[k] as Json) };
        const sk = findKey(copy, path.sub);
        if (sk) delete copy[sk];
        holder[k] = copy;
      }
    }
    return out;
  }
  return resource;
}

function pickSub(e: unknown, sub: string): unknown {
  if (!e || typeof e !== 'object') return undefined;
  const k = findKey(e as Json, sub);
  return k ? { [k]: (e as Json)[k] } : undefined;
}

const isJson = (e: unknown): e is Json => !!e && typeof e === 'object' && !Array.isArray(e);

function withoutSub(e: Json, sub: string): Json {
  const copy = { ...e };
  const k = findKey(copy, sub);
  if (k) delete copy[k];
  return copy;
}
