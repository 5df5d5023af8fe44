import SCIMMY from 'scimmy';
import type { PatchOperation } from './normalize.js';
import { PATCH_SCHEMA } from './schemas.js';
import type { ScimJson } from './user-mapper.js';

const FILTERED = /^([A-Za-z][\w]*)\[\s*type\s+eq\s+"([^"]*)"\s*\](?:\.([A-Za-z][\w]*))?$/i;

/**
 * Entra and Okta send `add`/`replace` on `emails[type eq "work"].value` to set a work email the
 * user may not have yet; RFC 7644 would answer noTarget. When no element of that type exists, the
 * operation becomes an add of a new element.
 */
export function createMissingFilteredTargets(ops: PatchOperation[], current: ScimJson): PatchOperation[] {
  return ops.map((op) => {
    if ((op.op !== 'add' && op.op !== 'replace') || !op.path) return op;
    const m = FILTERED.exec(op.path);
    if (!m) return op;
    const [, attr, type, sub] = m as unknown as [string, string, string, string | undefined];
    const key = Object.keys(current).find((k) => k.toLowerCase() === attr.toLowerCase()) ?? attr;
    const list = Array.isArray(current[key]) ? (current[key] as Record<string, unknown>[]) : [];
    if (list.some((e) => typeof e?.type === 'string' && e.type.toLowerCase() === type.toLowerCase())) return op;
    const element = sub ? { type, [sub]: op.value } : { type, ...(op.value as Record<string, unknown>) };
    return { op: 'add', path: key, value: [element] };
  });
}

/** Applies PatchOp operations to a user's SCIM JSON with scimmy; undefined when nothing changed. */
export async function applyUserPatch(ops: PatchOperation[], current: ScimJson): Promise<ScimJson | undefined> {
  const { meta: _meta, groups: _groups, ...resource } = current;
  const message = new SCIMMY.Messages.PatchOp({ schemas: [PATCH_SCHEMA], Operations: createMissingFilteredTargets(ops, resource) });
  const instance = new SCIMMY.Schemas.User(resource, 'out');
  const patched = await message.apply(instance);
  return patched ? (JSON.parse(JSON.stringify(patched)) as ScimJson) : undefined;
}
