import type { Request, Response } from 'express';
import { ScimError, SCIM_CONTENT_TYPE } from './errors.js';
import { etagOf } from './schemas.js';

/**
 * If-Match (RFC 7644 §3.14): `*` or the current ETag passes; anything else is 412. Returns the
 * version the write must still find (so a race after the check is a 412 too), or undefined when
 * the client sent no precondition.
 */
export function checkIfMatch(req: Request, version: number): number | undefined {
  return checkIfMatchHeader(req.get('if-match'), version);
}

/** checkIfMatch on a header value (a Bulk operation's `version` is one). */
export function checkIfMatchHeader(header: string | undefined, version: number): number | undefined {
  if (header === undefined) return undefined;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(etagOf(version)) || tags.includes(`"${version}"`)) return version;
  throw new ScimError(412, `resource changed: current version is ${etagOf(version)}, If-Match was ${header}`);
}

/**
 * What a SCIM write produced, apart from how it travels: a single request sends it as the
 * response, a Bulk operation reports its status, location and version.
 */
export interface ScimOutcome {
  status: number;
  /** Absent: no body (204). */
  body?: unknown;
  version?: number;
  location?: string;
}

export function sendOutcome(res: Response, o: ScimOutcome): void {
  if (o.location) res.setHeader('Location', o.location);
  if (o.version !== undefined) res.setHeader('ETag', etagOf(o.version));
  if (o.body === undefined) res.status(o.status).end();
  else sendJson(res, o.status, o.body);
}

export function sendResource(res: Response, status: number, body: unknown, version: number): void {
  res.setHeader('ETag', etagOf(version));
  sendJson(res, status, body);
}

const CONTENT_TYPE_UTF8 = `${SCIM_CONTENT_TYPE}; charset=utf-8`;

/**
 * A SCIM JSON body, as express's res.send would write it (same Content-Type, Content-Length, HEAD
 * without a body) minus its per-response work: charset re-parsing and, unless the client sent a
 * conditional header, the freshness check (which then goes through res.send as before).
 */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const h = res.req.headers;
  if (h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined) {
    res.status(status).type(SCIM_CONTENT_TYPE).send(text);
    return;
  }
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPE_UTF8);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  if (res.req.method === 'HEAD') res.end();
  else res.end(text);
}
