/** Coded connector errors, and reading them back out of wrapped causes (openid-client wraps). */
import { IdsyncError, type ErrorCode } from '../../domain/errors.js';
import type { DirectoryProvider, ListingError } from '../../ports/directory.js';

export interface UpstreamDetails {
  readonly provider: DirectoryProvider;
  readonly op: string;
  readonly status?: number;
  /** The directory's own error code or reason (e.g. quotaExceeded, Authorization_RequestDenied). */
  readonly upstreamCode?: string;
  readonly [k: string]: unknown;
}

export function connectorError(code: ErrorCode, message: string, details: UpstreamDetails, cause?: unknown): IdsyncError {
  return new IdsyncError(code, message, { ...details }, cause === undefined ? undefined : { cause });
}

/** The first IdsyncError in an error's cause chain. */
export function findIdsyncError(err: unknown): IdsyncError | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e !== undefined && e !== null; depth++) {
    if (e instanceof IdsyncError) return e;
    e = typeof e === 'object' ? (e as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}

export function toListingError(err: unknown): ListingError {
  const coded = findIdsyncError(err);
  if (coded) return { code: coded.code, message: coded.message };
  const message = (err as { message?: unknown } | null)?.message;
  return { code: 'internal', message: typeof message === 'string' ? message : String(err) };
}

/** Keeps upstream-provided text short in messages (it is quoted, not trusted). */
export function clip(text: string, max = 300): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}…` : oneLine;
}
