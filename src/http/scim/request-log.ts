import type { Request, Response } from 'express';
import { idpFromUserAgent, redactBody, redactPath, USER_AGENT_MAX, type ScimIdp, type ScimLogEntry, type ScimLogError, type ScimLogOperationError } from '../../domain/scim-log.js';
import type { ScimLogRecorder } from '../../services/scim-log/recorder.js';

declare module 'express-serve-static-core' {
  interface Locals {
    /** The SCIM error this response carries (set by sendScimError), for the request log. */
    scimError?: ScimLogError;
    /** The failed operations of a Bulk this response answers (set by the Bulk handler), for the request log. */
    scimOperationErrors?: ScimLogOperationError[];
  }
}

/** Where SCIM requests are logged, and the clock their time is read from (ms since the epoch). */
export interface ScimRequestLog {
  recorder: ScimLogRecorder<LoggedRequest>;
  now: () => number;
}

/**
 * What the log holds of an answered request until its batch is written: facts read off the request
 * as it arrives (before routing rewrites req.url) and as it finishes. Its entry (ISO time, redacted
 * path, IdP, resource, credential) is made from them with the rest of the batch (entryOfRequest):
 * made in each request's finish listener, amid the request's own work, an entry cost the daemon
 * 3–5 µs of CPU per lookup; a thousand made in one pass cost a fraction of it (bench/RESULTS.md,
 * 2026-12-06). One class, every field set from the start: one object shape for every request.
 */
export class LoggedRequest {
  endedMs = 0;
  method = '';
  status = 0;
  orgId = '';
  tokenId = '';
  label: string | undefined = undefined;
  /** Bounded to USER_AGENT_MAX characters as the request finishes: the buffer never holds more. */
  userAgent: string | undefined = undefined;
  /** The IdP, read as the request finishes only when the User-Agent was cut (from all of it). */
  idp: ScimIdp | undefined = undefined;
  location: string | undefined = undefined;
  /** Redacted as the request finishes (a body is the one fact that can be large). */
  requestBody: string | undefined = undefined;
  error: ScimLogError | undefined = undefined;
  operationErrors: ScimLogOperationError[] | undefined = undefined;

  constructor(
    readonly atMs: number,
    readonly startedMs: number,
    readonly url: string,
  ) {}
}

/** A request as it arrives. */
export function arrivedRequest(log: ScimRequestLog, req: Request): LoggedRequest {
  return new LoggedRequest(log.now(), performance.now(), req.url);
}

/**
 * The request as it was answered, or undefined when it belongs to no org (it failed
 * authentication: the token named no org to log it under). Runs after the response is sent.
 */
export function answeredRequest(r: LoggedRequest, req: Request, res: Response): LoggedRequest | undefined {
  const scim = res.locals.scim;
  if (!scim) return undefined;
  r.endedMs = performance.now();
  r.method = req.method;
  r.status = res.statusCode;
  r.orgId = scim.orgId;
  r.tokenId = scim.tokenId;
  r.label = scim.actor.label;
  const ua = req.headers['user-agent'];
  if (ua !== undefined && ua.length > USER_AGENT_MAX) {
    r.idp = idpFromUserAgent(ua);
    r.userAgent = ua.slice(0, USER_AGENT_MAX);
  } else r.userAgent = ua;
  const location = res.getHeader('location');
  if (typeof location === 'string') r.location = location;
  if (r.method !== 'GET' && r.method !== 'DELETE') r.requestBody = redactBody(req.body);
  r.error = res.locals.scimError;
  r.operationErrors = res.locals.scimOperationErrors;
  return r;
}

/** `000Z` … `999Z`: the milliseconds of a time and the zone that ends its ISO 8601 text. */
const MS_TEXT = Array.from({ length: 1000 }, (_, i) => `${String(i).padStart(3, '0')}Z`);

/** The ISO 8601 text up to the seconds (`2026-12-06T10:00:00.`) of the second last asked for. */
let secondMs = Number.NaN;
let secondText = '';

/**
 * A time in ms as toISOString writes it. Requests are logged as they finish, not in the order
 * they arrived, so a text kept for the last millisecond was rarely the one asked for; the text up
 * to the second is nearly always.
 */
export function isoOf(ms: number): string {
  const inSecond = ((ms % 1000) + 1000) % 1000;
  const second = ms - inSecond;
  if (second !== secondMs) {
    const iso = new Date(second).toISOString();
    // Years past 9999 (or before 0) are written another way: not kept.
    if (iso.length !== 24) return new Date(ms).toISOString();
    secondText = iso.slice(0, 20);
    secondMs = second;
  }
  return secondText + MS_TEXT[inSecond]!;
}

/** The log entry of an answered request (answeredRequest). */
export function entryOfRequest(r: LoggedRequest): ScimLogEntry {
  const ua = r.userAgent;
  const entry: ScimLogEntry = {
    orgId: r.orgId,
    at: isoOf(r.atMs),
    method: r.method,
    path: redactPath(r.url),
    status: r.status,
    latencyMs: Math.round((r.endedMs - r.startedMs) * 100) / 100,
    idp: r.idp ?? idpOf(ua),
    credential: credentialOf(r.tokenId, r.label),
  };
  if (ua) entry.userAgent = ua;
  const resource = resourceOf(r.url, r.location);
  if (resource) entry.resource = resource;
  if (r.requestBody !== undefined) entry.requestBody = r.requestBody;
  if (r.error) entry.error = r.error;
  if (r.operationErrors) entry.operationErrors = r.operationErrors;
  return entry;
}

/** The IdPs behind the User-Agents seen so far: an IdP sends one User-Agent on every request. */
const idpByUserAgent = new Map<string, ScimIdp>();
const IDP_CACHE_MAX = 256;

function idpOf(ua: string | undefined): ScimIdp {
  if (ua === undefined) return idpFromUserAgent(ua);
  let idp = idpByUserAgent.get(ua);
  if (idp === undefined) {
    idp = idpFromUserAgent(ua);
    // Bounded: a client that varies its User-Agent only ever costs the pattern match.
    if (idpByUserAgent.size < IDP_CACHE_MAX && ua.length <= USER_AGENT_MAX) idpByUserAgent.set(ua, idp);
  }
  return idp;
}

/**
 * One credential object per token and one resource object per type without an id, handed to every
 * entry they describe: a store that keeps values once per batch (SQLite's pages) finds them by
 * identity. Bounded like the IdP cache; past it each entry gets its own object.
 */
const credentialByToken = new Map<string, NonNullable<ScimLogEntry['credential']>>();
const resourceByType = new Map<string, NonNullable<ScimLogEntry['resource']>>();

function credentialOf(id: string, label: string | undefined): NonNullable<ScimLogEntry['credential']> {
  const known = credentialByToken.get(id);
  if (known !== undefined && known.label === label) return known;
  const credential = label ? { id, label } : { id };
  if (credentialByToken.size < IDP_CACHE_MAX || known !== undefined) credentialByToken.set(id, credential);
  return credential;
}

function resourceOfType(type: string): NonNullable<ScimLogEntry['resource']> {
  let resource = resourceByType.get(type);
  if (resource === undefined) {
    resource = { type };
    if (resourceByType.size < IDP_CACHE_MAX) resourceByType.set(type, resource);
  }
  return resource;
}

/** `/Users/{id}…` names its id; a create names it in Location (RFC 7644 §3.3). */
function resourceOf(url: string, location: string | undefined): ScimLogEntry['resource'] {
  // As /^\/([A-Za-z]+)(?:\/([^/?]+))?/ would read it, without a match object per request.
  if (url.charCodeAt(0) !== SLASH) return undefined;
  let end = 1;
  while (end < url.length && isLetter(url.charCodeAt(end))) end++;
  if (end === 1) return undefined;
  const type = url.slice(1, end);
  let id: string | undefined;
  if (url.charCodeAt(end) === SLASH) {
    let stop = end + 1;
    while (stop < url.length && url.charCodeAt(stop) !== SLASH && url.charCodeAt(stop) !== QUESTION) stop++;
    const raw = url.slice(end + 1, stop);
    if (raw !== '' && raw !== '.search') id = safeDecode(raw);
  }
  if (!id && location !== undefined) id = safeDecode(location.slice(location.lastIndexOf('/') + 1)) || undefined;
  return id ? { type, id } : resourceOfType(type);
}

const SLASH = 47;
const QUESTION = 63;
const isLetter = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122);

function safeDecode(s: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
