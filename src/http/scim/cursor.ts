import { createHash } from 'node:crypto';
import { ScimError } from './errors.js';

/**
 * RFC 9865 cursors: opaque to clients, here base64url JSON of the store position after which the
 * next page starts, when the cursor was issued and which query it belongs to (a cursor replayed on
 * another filter is refused). Cursors carry no authority: the token still selects the org, and a
 * position only says where to resume within it.
 */
export const CURSOR_TIMEOUT_SECONDS = 3600;

interface CursorBody {
  v: 1;
  /** Store position (opaque to us too: the store's keyset position). */
  p: string;
  /** Issued at, unix seconds. */
  t: number;
  /** The query it pages. */
  q: string;
}

/** What identifies "the same query" between pages: the filter text (RFC 9865: all parameters but cursor stay the same). */
export function queryKey(filterText: string | undefined): string {
  return createHash('sha256').update(filterText ?? '').digest('base64url').slice(0, 16);
}

export function sealCursor(position: string, key: string, nowSeconds: number): string {
  const body: CursorBody = { v: 1, p: position, t: nowSeconds, q: key };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** The position a cursor resumes after; 400 invalidCursor for one that is not ours or not this query's, expiredCursor past its timeout. */
export function openCursor(cursor: string, key: string, nowSeconds: number): string {
  let body: Partial<CursorBody>;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<CursorBody>;
  } catch {
    throw invalid();
  }
  if (!body || body.v !== 1 || typeof body.p !== 'string' || typeof body.t !== 'number' || body.q !== key) throw invalid();
  if (nowSeconds - body.t > CURSOR_TIMEOUT_SECONDS) throw new ScimError(400, `the cursor expired: request the next page within ${CURSOR_TIMEOUT_SECONDS} seconds (cursorTimeout in /ServiceProviderConfig), or start again with an empty cursor`, 'expiredCursor');
  return body.p;
}

function invalid(): ScimError {
  return new ScimError(400, 'the cursor is not one this server issued for this query: send an empty cursor for the first page, then each nextCursor as it is', 'invalidCursor');
}
