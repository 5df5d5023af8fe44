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
  recorder: ScimLogRecorder;
  now: () => number;
}

/** What a request looked like when it arrived: taken before routing rewrites req.url. */
export interface ArrivedRequest {
  atMs: number;
  startedMs: number;
  url: string;
}

/** The last time written as ISO 8601: at thousands of requests a second, many arrive in the same millisecond. */
let lastMs = Number.NaN;
let lastIso = '';
function isoOf(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

/**
 * The log entry of an answered SCIM request, or undefined when it belongs to no org (it failed
 * authentication: the token named no org to log it under). Runs after the response is sent.
 */
export function scimLogEntry(req: Request, res: Response, arrived: ArrivedRequest): ScimLogEntry | undefined {
  const scim = res.locals.scim;
  if (!scim) return undefined;
  const ua = req.headers['user-agent'];
  const resource = resourceOf(arrived.url, res);
  const body = req.method === 'GET' || req.method === 'DELETE' ? undefined : redactBody(req.body);
  const label = scim.actor.label;
  const entry: ScimLogEntry = {
    orgId: scim.orgId,
    at: isoOf(arrived.atMs),
    method: req.method,
    path: redactPath(arrived.url),
    status: res.statusCode,
    latencyMs: Math.round((performance.now() - arrived.startedMs) * 100) / 100,
    idp: idpOf(ua),
    credential: label ? { id: scim.tokenId, label } : { id: scim.tokenId },
  };
  if (ua) entry.userAgent = ua.length > USER_AGENT_MAX ? ua.slice(0, USER_AGENT_MAX) : ua;
  if (resource) entry.resource = resource;
  if (body !== undefined) entry.requestBody = body;
  if (res.locals.scimError) entry.error = res.locals.scimError;
  if (res.locals.scimOperationErrors) entry.operationErrors = res.locals.scimOperationErrors;
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

/** `/Users/{id}…` names its id; a create names it in Location (RFC 7644 §3.3). */
function resourceOf(url: string, res: Response): ScimLogEntry['resource'] {
  const m = /^\/([A-Za-z]+)(?:\/([^/?]+))?/.exec(url);
  if (!m) return undefined;
  const type = m[1]!;
  let id = m[2] && m[2] !== '.search' ? safeDecode(m[2]) : undefined;
  const location = res.getHeader('location');
  if (!id && typeof location === 'string') id = safeDecode(location.slice(location.lastIndexOf('/') + 1)) || undefined;
  return id ? { type, id } : { type };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
