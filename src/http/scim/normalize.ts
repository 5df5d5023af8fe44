import { ScimError } from './errors.js';
import { unassignNulls } from './multi-valued.js';
import { ENTERPRISE_SCHEMA, PATCH_SCHEMA } from './schemas.js';

/**
 * Translates the documented Okta and Entra ID dialects into RFC 7644 form before anything else
 * sees a request body:
 * - capitalised op names ("Replace", "Add", "Remove") — Entra;
 * - "True"/"False" strings for boolean attributes (active, *.primary) — Entra without aadOptscim062020;
 * - the enterprise `manager` sent as a plain id string — Entra;
 * - a PatchOp body without `schemas`.
 * Path-less replace with dotted or URN keys, value-style member removal, filtered adds that must
 * create the entry, PUT without `active` and empty Operations are handled where the current
 * resource is known (users.ts, groups.ts).
 */
export type Json = Record<string, unknown>;
export interface PatchOperation {
  op: 'add' | 'remove' | 'replace';
  path?: string;
  value?: unknown;
}

const BOOLEAN_KEYS = new Set(['active', 'primary']);
const MANAGER_KEY = `${ENTERPRISE_SCHEMA}:manager`.toLowerCase();

function toBool(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : v;
}

/** Recursively fixes string booleans under boolean attribute names and string managers. */
export function normalizeValues(value: unknown, key = ''): unknown {
  const k = key.toLowerCase();
  const leaf = k.slice(k.lastIndexOf('.') + 1);
  if (BOOLEAN_KEYS.has(leaf)) return toBool(value);
  if ((k === MANAGER_KEY || k === 'manager') && typeof value === 'string') return { value };
  if (Array.isArray(value)) return value.map((v) => normalizeValues(v, key.endsWith(']') ? '' : key));
  if (value !== null && typeof value === 'object') {
    const out: Json = {};
    for (const [ck, cv] of Object.entries(value as Json)) out[ck] = normalizeValues(cv, ck);
    return out;
  }
  return value;
}

/** A POST or PUT body in RFC form: null attributes unassigned (RFC 7643 §2.5), then the dialects fixed. */
export function normalizeResource(body: unknown): unknown {
  return normalizeValues(unassignNulls(body));
}

/** The boolean-ness of a patch value follows its path's last attribute (e.g. `active`, `emails[…].primary`). */
function leafOfPath(path: string | undefined): string {
  if (!path) return '';
  const noFilters = path.replace(/\[[^\]]*\]/g, '');
  return noFilters.slice(Math.max(noFilters.lastIndexOf('.'), noFilters.lastIndexOf(':')) + 1);
}

/**
 * Real SCIM bodies nest a handful of levels (a PatchOp value holding `name` or the enterprise
 * `manager`); anything deeper is refused before a recursive step (here or in scimmy) can overflow.
 */
export const MAX_BODY_DEPTH = 32;

/** Throws 400 invalidSyntax when a parsed body nests deeper than MAX_BODY_DEPTH (checked without recursion). */
export function assertBodyDepth(body: unknown): void {
  const stack: { value: unknown; depth: number }[] = [{ value: body, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth >= MAX_BODY_DEPTH) throw new ScimError(400, `the request body nests deeper than ${MAX_BODY_DEPTH} levels`, 'invalidSyntax');
    for (const child of Array.isArray(value) ? value : Object.values(value as Json)) stack.push({ value: child, depth: depth + 1 });
  }
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A PatchOp message in RFC form. No body, a body that is not a JSON object (a non-JSON content
 * type leaves none) or one without an Operations array is 400 invalidSyntax; `schemas` absent or
 * null (RFC 7643 §2.5: null is unassigned) reads as the PatchOp schema.
 */
export function normalizePatchBody(body: unknown): { schemas: string[]; Operations: PatchOperation[] } {
  if (!isObject(body)) throw new ScimError(400, 'a PATCH body must be a JSON PatchOp message (Content-Type application/scim+json)', 'invalidSyntax');
  const b = body;
  const opsKey = Object.keys(b).find((k) => k.toLowerCase() === 'operations');
  const ops = opsKey ? b[opsKey] : undefined;
  if (!Array.isArray(ops)) throw new ScimError(400, 'a PatchOp message needs an Operations array', 'invalidSyntax');
  const Operations = ops.map((o: unknown, i: number) => {
    if (!isObject(o)) {
      throw new ScimError(400, `operation ${i + 1} must be an object with op, path and value`, 'invalidSyntax');
    }
    const { op, path, value } = o;
    const opName = typeof op === 'string' ? op.toLowerCase() : op;
    if (path === undefined && (opName === 'add' || opName === 'replace') && !isObject(value)) {
      // RFC 7644 §3.5.2.1/§3.5.2.3: without a path the value is the set of attributes to change.
      throw new ScimError(400, `operation ${i + 1}: an ${String(opName)} without a path needs an object of attributes as its value`, 'invalidValue');
    }
    const pathStr = typeof path === 'string' ? path : undefined;
    const isManagerPath = pathStr?.toLowerCase() === MANAGER_KEY;
    const leaf = leafOfPath(pathStr);
    let v = value;
    if (pathStr === undefined) v = normalizeValues(value);
    else if (isManagerPath && typeof value === 'string') v = { value };
    else if (BOOLEAN_KEYS.has(leaf.toLowerCase())) v = toBool(value);
    else v = normalizeValues(value, leaf);
    return { op: opName, ...(path !== undefined ? { path } : {}), ...(v !== undefined ? { value: v } : {}) };
  }) as PatchOperation[];
  const { [opsKey!]: _original, ...rest } = b;
  return { ...rest, schemas: Array.isArray(b.schemas) && b.schemas.length ? (b.schemas as string[]) : [PATCH_SCHEMA], Operations };
}
