/**
 * The SCIM request log: what an IdP sent to an org's SCIM endpoint and what it got back, kept so an
 * IdP admin can answer "why did provisioning fail" without server logs. Entries are redacted before
 * they leave the request (see redactBody, redactPath): no token, Authorization header or password
 * is ever part of one.
 */

/** Which identity provider sent a request, from its User-Agent (idpFromUserAgent). */
export type ScimIdp = 'okta' | 'entra' | 'onelogin' | 'jumpcloud' | 'google' | 'other';

/** The SCIM error a failed request answered (RFC 7644 §3.12), as sent. */
export interface ScimLogError {
  status: string;
  scimType?: string;
  detail: string;
}

/** One failed operation of a Bulk request (RFC 7644 §3.7.3): where it was and the SCIM error it reported. */
export interface ScimLogOperationError extends ScimLogError {
  /** 1-based position of the operation in the request's Operations. */
  operation: number;
  method?: string;
  /** The operation's path as sent (bounded to OPERATION_PATH_MAX characters). */
  path?: string;
  bulkId?: string;
}

export interface ScimLogEntry {
  orgId: string;
  /** When the request arrived (ISO 8601). */
  at: string;
  method: string;
  /** Path below /scim/v2 with its query (redacted: see redactPath). */
  path: string;
  status: number;
  latencyMs: number;
  idp: ScimIdp;
  /** The User-Agent as sent, bounded to USER_AGENT_MAX characters. */
  userAgent?: string;
  /** The credential the request authenticated with (never its secret). */
  credential?: { id: string; label?: string };
  /** The SCIM resource it touched: type (`Users`, `Groups`, `Bulk`, …) and id when the path names one or a create answered one. */
  resource?: { type: string; id?: string };
  /** The request body as JSON text, passwords dropped, truncated past REQUEST_BODY_MAX bytes. */
  requestBody?: string;
  /** Present when the response was a SCIM error. */
  error?: ScimLogError;
  /** A Bulk answers 200 while operations in it fail: each failed operation's error, in request order. */
  operationErrors?: ScimLogOperationError[];
}

/** A stored entry: `id` is the store's opaque cursor position (newest first). */
export interface StoredScimLogEntry extends ScimLogEntry {
  id: string;
}

/** What a listing keeps; every field narrows. */
export interface ScimLogFilter {
  /** Entries at or after this time. */
  since?: Date;
  /** Status range, inclusive: 409 → [409, 409], 4xx → [400, 499]. */
  status?: { from: number; to: number };
  method?: string;
  /** SCIM resource type, e.g. `Users`. */
  resourceType?: string;
}

export interface ScimLogQuery extends ScimLogFilter {
  /** Entries older than this cursor (a `next` from the previous page); absent: from the newest. */
  before?: string;
  limit: number;
}

export interface ScimLogPage {
  items: StoredScimLogEntry[];
  /** Cursor of the next (older) page; null when this page reached the end. */
  next: string | null;
}

export const REQUEST_BODY_MAX = 16 * 1024;
export const USER_AGENT_MAX = 256;
export const OPERATION_PATH_MAX = 512;
export const TRUNCATED_MARKER = '…[truncated]';

/**
 * User-Agent patterns, first match wins. Okta's SCIM requests carry `Okta SCIM Client` (the request
 * examples of Okta's "SCIM 2.0 protocol reference"); Entra's provisioning service sends
 * `Microsoft.Identity.Provisioning` (current) or `Microsoft Azure AD` / `Azure AD SCIM` (older
 * clients, as quoted in Microsoft's "Develop and plan provisioning for a SCIM endpoint"). The others
 * are the product names those IdPs put in their User-Agent.
 */
const IDP_PATTERNS: readonly [RegExp, ScimIdp][] = [
  [/okta/i, 'okta'],
  [/Microsoft\.Identity\.Provisioning|Microsoft Azure AD|Azure AD SCIM|Microsoft Entra/i, 'entra'],
  [/onelogin/i, 'onelogin'],
  [/jumpcloud/i, 'jumpcloud'],
  [/google/i, 'google'],
];

export function idpFromUserAgent(userAgent: string | undefined): ScimIdp {
  if (!userAgent) return 'other';
  for (const [re, idp] of IDP_PATTERNS) if (re.test(userAgent)) return idp;
  return 'other';
}

/** Query parameters whose values are secrets whatever the client meant by sending them. */
const SECRET_PARAM = /^(access_token|token|id_token|refresh_token|client_secret|password|secret|api_key|apikey|key|sig|signature)$/i;

/** A parameter whose name ends like a secret one, or a percent-encoded name: the exact check follows. */
const MAYBE_SECRET = /(?:token|secret|password|key|sig|signature)=|[?&][^=&]*%[^=&]*=/i;

/** The path with its query, values of secret-looking parameters replaced (a token in a URL is still a token). */
export function redactPath(url: string): string {
  const q = url.indexOf('?');
  // Nearly every query (a lookup's filter) names no secret: one test instead of a split per request
  // (on the whole url: a hit in the path only costs the exact check below, which reads the query).
  if (q < 0 || !MAYBE_SECRET.test(url)) return url;
  const params = url.slice(q + 1).split('&').map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    let decoded = name;
    try {
      decoded = decodeURIComponent(name);
    } catch {
      // a malformed escape is kept as sent: it names no secret we know
    }
    return eq >= 0 && SECRET_PARAM.test(decoded) ? `${name}=[redacted]` : pair;
  });
  return `${url.slice(0, q)}?${params.join('&')}`;
}

/** Attribute names dropped wherever they appear in a body (RFC 7643 §4.1.1: password is write-only). */
const DROPPED = /^(password|.*:password|secret|token)$/i;

/** A PATCH operation whose path names a dropped attribute (`password`, `urn:…:User:password`). */
const isSecretOp = (op: Record<string, unknown>) => typeof op.path === 'string' && DROPPED.test(op.path.trim());

/**
 * The body as it is stored: attributes named `password` (any schema URN prefix) dropped at any depth,
 * the value of a PATCH operation on `password` dropped, then bounded to `max` bytes of JSON with a
 * marker. Nesting deeper than the walk's limit is cut rather than walked (the router refuses such
 * bodies anyway).
 */
export function redactBody(body: unknown, max = REQUEST_BODY_MAX): string | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0) return undefined;
  const text = JSON.stringify(scrub(body, 0));
  if (Buffer.byteLength(text) <= max) return text;
  // Cut on a character boundary below max bytes, leaving room for the marker.
  let cut = Buffer.from(text).subarray(0, max - Buffer.byteLength(TRUNCATED_MARKER)).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  return cut + TRUNCATED_MARKER;
}

const MAX_DEPTH = 64;

function scrub(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(v)) return v.map((x) => scrub(x, depth + 1));
  const obj = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const secretOp = isSecretOp(obj);
  for (const [k, x] of Object.entries(obj)) {
    if (DROPPED.test(k)) continue;
    if (secretOp && k === 'value') continue;
    out[k] = scrub(x, depth + 1);
  }
  return out;
}

/** `--status` and `?status=`: an exact code (409) or a class (4xx). Undefined when it is neither. */
export function parseStatusFilter(s: string): { from: number; to: number } | undefined {
  // `errors`: every answer an IdP treats as a failure (4xx and 5xx); the console's default view.
  if (/^errors$/i.test(s.trim())) return { from: 400, to: 599 };
  const cls = /^([1-5])xx$/i.exec(s.trim());
  if (cls) return { from: Number(cls[1]) * 100, to: Number(cls[1]) * 100 + 99 };
  if (/^[1-5]\d\d$/.test(s.trim())) return { from: Number(s), to: Number(s) };
  return undefined;
}

/** The filter as a predicate (Redis applies it while reading; SQLite in its query). */
export function matchesScimLogFilter(e: ScimLogEntry, f: ScimLogFilter): boolean {
  if (f.since && Date.parse(e.at) < f.since.getTime()) return false;
  if (f.status && (e.status < f.status.from || e.status > f.status.to)) return false;
  if (f.method && e.method !== f.method.toUpperCase()) return false;
  if (f.resourceType && e.resource?.type !== f.resourceType) return false;
  return true;
}
