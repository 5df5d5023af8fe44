import { isPlainObject } from './value-path.js';

type Json = Record<string, unknown>;

const isPrimary = (e: unknown) => isPlainObject(e) && e.primary === true;

/**
 * RFC 7643 §2.4: at most one value of a multi-valued attribute is primary. Where several are, the
 * one `prefer` picks keeps it (a PATCH prefers the values its operations set), else the last one
 * sent (each value added as primary clears the flag on those before it); the others get
 * `primary: false`. Applies to every multi-valued attribute, the extensions' included.
 */
export function singlePrimary(resource: Json, prefer: (attr: string, element: Json) => boolean = () => false): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(resource)) {
    if (Array.isArray(v) && v.filter(isPrimary).length > 1) {
      const flagged = v.filter(isPrimary) as Json[];
      const winner = [...flagged].reverse().find((e) => prefer(k, e)) ?? flagged[flagged.length - 1];
      out[k] = v.map((e) => (isPrimary(e) && e !== winner ? { ...(e as Json), primary: false } : e));
    } else if (isPlainObject(v) && k.startsWith('urn:')) out[k] = singlePrimary(v, prefer);
    else out[k] = v;
  }
  return out;
}

/** RFC 7643 §2.5: a null attribute (or null element of a list) is unassigned; POST and PUT bodies drop them. */
export function unassignNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((e) => e !== null).map(unassignNulls);
  if (!isPlainObject(value)) return value;
  const out: Json = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = unassignNulls(v);
  return out;
}
