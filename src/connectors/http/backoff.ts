/**
 * Waiting rules shared by the three directories: limits with their defaults, exponential backoff
 * with jitter, and Retry-After in both of its RFC 9110 forms (delay-seconds and HTTP-date).
 */
import type { ConnectorLimits } from '../../ports/directory.js';

export type ResolvedLimits = Required<ConnectorLimits>;

export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  requestTimeoutMs: 30_000,
  maxRetries: 5,
  maxRequests: 20_000,
  deadlineMs: 30 * 60_000,
  baseDelayMs: 500,
  maxDelayMs: 60_000,
});

export function resolveLimits(limits: ConnectorLimits | undefined): ResolvedLimits {
  const out = { ...DEFAULT_LIMITS, ...stripUndefined(limits ?? {}) };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`limits.${k} must be a finite number >= 0`);
  }
  return Object.freeze(out);
}

function stripUndefined(o: ConnectorLimits): Partial<ResolvedLimits> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<ResolvedLimits>;
}

/**
 * Exponential backoff with "equal jitter": half of the capped exponential delay is fixed, half is
 * random, so waits grow with every attempt yet concurrent clients spread out.
 */
export function backoffDelay(attempt: number, limits: Pick<ResolvedLimits, 'baseDelayMs' | 'maxDelayMs'>, random: () => number): number {
  const exp = Math.min(limits.maxDelayMs, limits.baseDelayMs * 2 ** Math.max(0, attempt));
  return Math.round(exp / 2 + random() * (exp / 2));
}

/**
 * Retry-After as milliseconds from `nowMs`: either delay-seconds or an HTTP-date. Undefined when the
 * header is absent or unparseable; a date in the past means "now" (0).
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  if (!/[a-z]/i.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
