import type { Request, Response } from 'express';
import { ScimError, SCIM_CONTENT_TYPE } from './errors.js';
import { etagOf } from './schemas.js';

/**
 * If-Match (RFC 7644 §3.14): `*` or the current ETag passes; anything else is 412. Returns the
 * version the write must still find (so a race after the check is a 412 too), or undefined when
 * the client sent no precondition.
 */
export function checkIfMatch(req: Request, version: number): number | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  const tags = header.split(',').map((t) => t.trim());
  if (tags.includes('*') || tags.includes(etagOf(version)) || tags.includes(`"${version}"`)) return version;
  throw new ScimError(412, `resource changed: current version is ${etagOf(version)}, If-Match was ${header}`);
}

export function sendResource(res: Response, status: number, body: unknown, version: number): void {
  res.status(status).setHeader('ETag', etagOf(version));
  res.type(SCIM_CONTENT_TYPE).send(JSON.stringify(body));
}
