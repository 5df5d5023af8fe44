import SCIMMY from 'scimmy';
import { ScimError } from './errors.js';
import { matches } from './filter/evaluate.js';
import type { FilterNode } from './filter/parse.js';
import { singlePrimary } from './multi-valued.js';
import type { PatchOperation } from './normalize.js';
import { PATCH_SCHEMA } from './schemas.js';
import type { ScimJson } from './user-mapper.js';
import { findKey, isPlainObject, parseValuePath, selectedValues } from './value-path.js';

const FILTERED = /^([A-Za-z][\w]*)\[\s*type\s+eq\s+"([^"]*)"\s*\](?:\.([A-Za-z][\w]*))?$/i;
const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:user';

/**
 * Entra and Okta send `add` on `emails[type eq "work"].value` to set a work email the user may not
 * have yet; RFC 7644 would answer noTarget. When no element of that type exists, the operation
 * becomes an add of a new element. A `replace` keeps the RFC's answer (assertTargets).
 */
export function createMissingFilteredTargets(ops: PatchOperation[], current: ScimJson): PatchOperation[] {
  return ops.map((op) => {
    if (op.op !== 'add' || !op.path) return op;
    const m = FILTERED.exec(op.path);
    if (!m) return op;
    const [, attr, type, sub] = m as unknown as [string, string, string, string | undefined];
    const key = findKey(current, attr) ?? attr;
    const list = Array.isArray(current[key]) ? (current[key] as Record<string, unknown>[]) : [];
    if (list.some((e) => typeof e?.type === 'string' && e.type.toLowerCase() === type.toLowerCase())) return op;
    const element = sub ? { type, [sub]: op.value } : { type, ...(op.value as Record<string, unknown>) };
    return { op: 'add', path: key, value: [element] };
  });
}

/** RFC 7644 §3.5.2.3/§3.5.2.2: a replace or remove whose value filter selects nothing is 400 noTarget. */
function assertTargets(ops: PatchOperation[], current: ScimJson): void {
  for (const op of ops) {
    if ((op.op !== 'replace' && op.op !== 'remove') || !op.path) continue;
    const vp = parseValuePath(op.path);
    if (vp && selectedValues(current, vp).length === 0) throw new ScimError(400, `no value of ${vp.attr} matches the filter of '${op.path}'`, 'noTarget');
  }
}

/** `b` laid over `a`: complex values merge (keeping what `b` does not name), everything else is replaced. */
function overlay(a: ScimJson, b: ScimJson): ScimJson {
  const out: ScimJson = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const key = findKey(out, k) ?? k;
    out[key] = isPlainObject(out[key]) && isPlainObject(v) ? overlay(out[key] as ScimJson, v) : v;
  }
  return out;
}

/** The complex value a replace path names (`name`, `urn:…:enterprise:2.0:User:manager`), if it holds one. */
function complexAt(current: ScimJson, path: string): ScimJson | undefined {
  const direct = findKey(current, path);
  if (direct) return isPlainObject(current[direct]) ? (current[direct] as ScimJson) : undefined;
  const cut = path.lastIndexOf(':');
  if (cut < 0) return undefined;
  const [uri, attr] = [path.slice(0, cut), path.slice(cut + 1)];
  if (attr.includes('.')) return undefined;
  const holderKey = uri.toLowerCase() === CORE_USER ? undefined : findKey(current, uri);
  const holder = uri.toLowerCase() === CORE_USER ? current : holderKey ? current[holderKey] : undefined;
  if (!isPlainObject(holder)) return undefined;
  const key = findKey(holder, attr);
  return key && isPlainObject(holder[key]) ? (holder[key] as ScimJson) : undefined;
}

/**
 * RFC 7644 §3.5.2.3: replacing a complex attribute changes the sub-attributes the value names and
 * leaves the others unchanged (scimmy replaces the whole value), with a path or without one.
 */
function mergeComplexReplaces(ops: PatchOperation[], current: ScimJson): PatchOperation[] {
  return ops.map((op) => {
    if (op.op !== 'replace' || !isPlainObject(op.value)) return op;
    if (!op.path) {
      const value: ScimJson = {};
      for (const [k, v] of Object.entries(op.value)) {
        const key = findKey(current, k);
        value[k] = key && isPlainObject(current[key]) && isPlainObject(v) ? overlay(current[key] as ScimJson, v) : v;
      }
      return { ...op, value };
    }
    if (parseValuePath(op.path)) return op;
    const existing = complexAt(current, op.path);
    return existing ? { ...op, value: overlay(existing, op.value) } : op;
  });
}

/** Which primary value a PATCH meant: the ones its operations set primary, by value or by filter. */
function primaryPreference(ops: PatchOperation[]): (attr: string, element: ScimJson) => boolean {
  const values = new Map<string, Set<string>>();
  const filters = new Map<string, FilterNode[]>();
  const addValues = (attr: string, list: unknown) => {
    if (!Array.isArray(list)) return;
    for (const e of list) if (isPlainObject(e) && e.primary === true && e.value !== undefined) (values.get(attr.toLowerCase()) ?? values.set(attr.toLowerCase(), new Set()).get(attr.toLowerCase())!).add(String(e.value));
  };
  for (const op of ops) {
    if (op.op !== 'add' && op.op !== 'replace') continue;
    if (!op.path) {
      if (isPlainObject(op.value)) for (const [k, v] of Object.entries(op.value)) addValues(k, v);
      continue;
    }
    const vp = parseValuePath(op.path);
    if (!vp) {
      addValues(op.path, op.value);
      continue;
    }
    const setsPrimary = vp.sub?.toLowerCase() === 'primary' ? op.value === true : !vp.sub && isPlainObject(op.value) && op.value.primary === true;
    if (setsPrimary) (filters.get(vp.attr.toLowerCase()) ?? filters.set(vp.attr.toLowerCase(), []).get(vp.attr.toLowerCase())!).push(vp.filter);
  }
  return (attr, element) => {
    const a = attr.toLowerCase();
    return !!values.get(a)?.has(String(element.value)) || !!filters.get(a)?.some((f) => matches(element, f));
  };
}

/** Applies PatchOp operations to a user's SCIM JSON with scimmy; undefined when nothing changed. */
export async function applyUserPatch(ops: PatchOperation[], current: ScimJson): Promise<ScimJson | undefined> {
  const { meta: _meta, groups: _groups, ...resource } = current;
  assertTargets(ops, resource);
  const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH_SCHEMA], Operations: mergeComplexReplaces(createMissingFilteredTargets(ops, resource), resource) });
  const instance = new SCIMMY.Schemas.User(resource, 'out');
  const patched = await message.apply(instance);
  return patched ? singlePrimary(JSON.parse(JSON.stringify(patched)) as ScimJson, primaryPreference(ops)) : undefined;
}
