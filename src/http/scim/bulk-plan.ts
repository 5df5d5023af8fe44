import { ScimError } from './errors.js';
import { isPlainObject } from './value-path.js';

/**
 * A Bulk request (RFC 7644 §3.7) read into operations and the order they may run in. Pure: no
 * store, no HTTP. `bulkId:X` references (in a path or anywhere in data) make an operation wait for
 * the one that creates X, whatever their order in the request; references that can never resolve
 * (undefined, duplicated, circular) are refused per operation.
 */
export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type BulkResource = 'Users' | 'Groups';

export interface BulkOperation {
  /** Position in the request: the response lists operations in request order. */
  index: number;
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  resource: BulkResource;
  /** The target id, possibly `bulkId:X`; absent for POST. */
  id?: string;
  data?: unknown;
  /** bulkIds this operation refers to. */
  refs: string[];
}

/** An operation refused before anything runs, with the error it reports. */
export interface RefusedOperation {
  index: number;
  method?: string;
  bulkId?: string;
  error: ScimError;
}

export interface BulkRequest {
  operations: BulkOperation[];
  refused: RefusedOperation[];
  /** Stop after this many errors (RFC 7644 §3.7.3); undefined: never stop. */
  failOnErrors?: number;
}

const METHODS = new Set<BulkMethod>(['POST', 'PUT', 'PATCH', 'DELETE']);
const PATH = /^\/(Users|Groups)(?:\/([^/?#]+))?$/;
const REF = /^bulkId:(.+)$/;

/** Every `bulkId:X` string in a value, at any depth. */
export function referencesIn(value: unknown, out: Set<string> = new Set()): Set<string> {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    if (m) out.add(m[1]!);
  } else if (Array.isArray(value)) for (const v of value) referencesIn(v, out);
  else if (isPlainObject(value)) for (const v of Object.values(value)) referencesIn(v, out);
  return out;
}

/** The value with every `bulkId:X` string replaced by the id X's operation created. */
export function substitute(value: unknown, created: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    const m = REF.exec(value);
    return m && created.has(m[1]!) ? created.get(m[1]!) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, created));
  if (isPlainObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, created)]));
  return value;
}

/** Reads a Bulk request body; a body that is not a BulkRequest at all is a 400 for the whole request. */
export function readBulkRequest(body: unknown, maxOperations: number): BulkRequest {
  if (!isPlainObject(body)) throw new ScimError(400, 'a Bulk body must be a JSON BulkRequest message', 'invalidSyntax');
  const schemas = body.schemas;
  if (!Array.isArray(schemas) || !schemas.includes(BULK_REQUEST_SCHEMA)) throw new ScimError(400, `a BulkRequest must name ${BULK_REQUEST_SCHEMA} in schemas`, 'invalidSyntax');
  const ops = body.Operations;
  if (!Array.isArray(ops)) throw new ScimError(400, 'a BulkRequest needs an Operations array', 'invalidSyntax');
  if (ops.length > maxOperations) throw new ScimError(413, `this BulkRequest has ${ops.length} operations; the limit is ${maxOperations} (maxOperations in /ServiceProviderConfig)`);
  let failOnErrors: number | undefined;
  if (body.failOnErrors !== undefined && body.failOnErrors !== null) {
    if (!Number.isInteger(body.failOnErrors) || (body.failOnErrors as number) < 1) throw new ScimError(400, 'failOnErrors must be a positive integer', 'invalidValue');
    failOnErrors = body.failOnErrors as number;
  }
  const operations: BulkOperation[] = [];
  const refused: RefusedOperation[] = [];
  const seen = new Set<string>();
  ops.forEach((raw: unknown, index) => {
    try {
      const op = readOperation(raw, index);
      if (op.bulkId !== undefined) {
        if (seen.has(op.bulkId)) throw new ScimError(400, `bulkId ${op.bulkId} is used by more than one operation`, 'invalidValue');
        seen.add(op.bulkId);
      }
      operations.push(op);
    } catch (err) {
      const r = isPlainObject(raw) ? raw : {};
      refused.push({ index, ...(typeof r.method === 'string' ? { method: r.method.toUpperCase() } : {}), ...(typeof r.bulkId === 'string' ? { bulkId: r.bulkId } : {}), error: err instanceof ScimError ? err : new ScimError(400, String(err), 'invalidSyntax') });
    }
  });
  const defined = new Set(operations.flatMap((o) => (o.method === 'POST' && o.bulkId !== undefined ? [o.bulkId] : [])));
  for (const op of [...operations]) {
    const missing = op.refs.find((r) => !defined.has(r));
    if (missing === undefined) continue;
    operations.splice(operations.indexOf(op), 1);
    refused.push({ index: op.index, method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}), error: new ScimError(400, `bulkId ${missing} is not created by any POST of this request`, 'invalidValue') });
  }
  return { operations, refused, ...(failOnErrors !== undefined ? { failOnErrors } : {}) };
}

function readOperation(raw: unknown, index: number): BulkOperation {
  const where = `operation ${index + 1}`;
  if (!isPlainObject(raw)) throw new ScimError(400, `${where} must be an object with method and path`, 'invalidSyntax');
  const method = typeof raw.method === 'string' ? (raw.method.toUpperCase() as BulkMethod) : undefined;
  if (!method || !METHODS.has(method)) throw new ScimError(400, `${where}: method must be POST, PUT, PATCH or DELETE`, 'invalidSyntax');
  const path = typeof raw.path === 'string' ? PATH.exec(raw.path.trim()) : null;
  if (!path) throw new ScimError(400, `${where}: path must be /Users, /Groups, /Users/{id} or /Groups/{id}`, 'invalidPath');
  const [, resource, id] = path as unknown as [string, BulkResource, string | undefined];
  if (method === 'POST' && id !== undefined) throw new ScimError(400, `${where}: POST goes to /${resource}, not to one resource`, 'invalidPath');
  if (method !== 'POST' && id === undefined) throw new ScimError(400, `${where}: ${method} needs /${resource}/{id}`, 'invalidPath');
  const bulkId = raw.bulkId;
  if (bulkId !== undefined && (typeof bulkId !== 'string' || bulkId === '')) throw new ScimError(400, `${where}: bulkId must be a non-empty string`, 'invalidValue');
  if (method === 'POST' && bulkId === undefined) throw new ScimError(400, `${where}: a POST needs a bulkId (RFC 7644 §3.7)`, 'invalidValue');
  if (method !== 'DELETE' && raw.data === undefined) throw new ScimError(400, `${where}: ${method} needs data`, 'invalidSyntax');
  const version = raw.version;
  if (version !== undefined && typeof version !== 'string') throw new ScimError(400, `${where}: version must be an ETag string`, 'invalidValue');
  const refs = referencesIn(raw.data);
  if (id !== undefined) referencesIn(decodeURIComponent(id), refs);
  return {
    index,
    method,
    resource,
    ...(typeof bulkId === 'string' ? { bulkId } : {}),
    ...(version !== undefined ? { version } : {}),
    ...(id !== undefined ? { id: decodeURIComponent(id) } : {}),
    ...(raw.data !== undefined ? { data: raw.data } : {}),
    refs: [...refs],
  };
}
