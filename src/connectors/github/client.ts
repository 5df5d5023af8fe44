/**
 * GitHub-specific meaning of responses (DIRECTORY-APIS.md §3.3, §3.4) and the GitHub App
 * installation token: an RS256 app JWT (iat 60 s in the past, exp under 10 minutes) exchanged at
 * POST /app/installations/{id}/access_tokens.
 */
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import { parseRetryAfter } from '../http/backoff.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { IssuedToken } from '../http/token-cache.js';
import { defaultVerdict, describe, fail, readJson, throttle, type Classifier, type ClassifyContext, type HttpResponse, type UpstreamError, type Verdict } from '../http/verdict.js';
import type { GithubConfig } from './config.js';

export const GITHUB_HEADERS: Readonly<Record<string, string>> = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
  'user-agent': 'idsync-directory-connector',
};

/** Without a Retry-After or a reset time, a secondary limit is waited out for at least a minute. */
export const SECONDARY_MIN_WAIT_MS = 60_000;

const errorBody = z.object({ message: z.string().optional(), documentation_url: z.string().optional(), status: z.string().optional() });

export function githubUpstreamError(res: HttpResponse): UpstreamError {
  const parsed = errorBody.safeParse(readJson(res));
  return parsed.success ? { message: parsed.data.message } : {};
}

/** Epoch ms of x-ratelimit-reset when x-ratelimit-remaining is 0. */
function exhaustedUntil(res: HttpResponse): number | undefined {
  if (res.headers.get('x-ratelimit-remaining') !== '0') return undefined;
  const reset = Number(res.headers.get('x-ratelimit-reset'));
  return Number.isFinite(reset) && reset > 0 ? reset * 1000 : undefined;
}

/** Primary and secondary rate limits, as GitHub documents them; undefined when not rate limited. */
export function githubRateLimit(res: HttpResponse, ctx: ClassifyContext, upstream: UpstreamError): Verdict | undefined {
  const retryAfter = parseRetryAfter(res.headers.get('retry-after'), ctx.now);
  const until = exhaustedUntil(res);
  const secondary = /secondary rate limit|abuse detection/i.test(upstream.message ?? '');
  if (retryAfter !== undefined) return throttle('github', res, ctx, upstream, { waitMs: retryAfter });
  if (until !== undefined) return throttle('github', res, ctx, upstream, { waitMs: Math.max(0, until - ctx.now) + 1000 });
  if (secondary) return throttle('github', res, ctx, upstream, { minWaitMs: SECONDARY_MIN_WAIT_MS });
  if (res.status === 429) return throttle('github', res, ctx, upstream);
  return undefined;
}

export const classifyGithub: Classifier = (res, ctx) => {
  if (res.status < 400 || ctx.accept.includes(res.status)) {
    // Remaining 0 on a success: the next request waits for the reset instead of being refused.
    const until = exhaustedUntil(res);
    return until !== undefined ? { kind: 'ok', pauseUntil: until } : { kind: 'ok' };
  }
  const upstream = githubUpstreamError(res);
  if (res.status === 403 || res.status === 429) {
    const limited = githubRateLimit(res, ctx, upstream);
    if (limited) return limited;
    return fail('connector.forbidden', 'github', res, ctx, upstream, 'the credentials cannot read the organization members (Members: read permission, or read:org for a token)');
  }
  if (res.status === 404) return fail('connector.not_found', 'github', res, ctx, upstream, 'organization not found or not visible to these credentials');
  return defaultVerdict('github', res, ctx, upstream);
};

const classifyInstallationToken: Classifier = (res, ctx) => {
  if (res.status < 400 || res.status === 429 || res.status >= 500) return classifyGithub(res, ctx);
  const upstream = githubUpstreamError(res);
  const limited = res.status === 403 ? githubRateLimit(res, ctx, upstream) : undefined;
  if (limited) return limited;
  return fail('connector.auth_failed', 'github', res, ctx, upstream, res.status === 404 ? 'no such installation for this GitHub App (check installationId)' : 'the GitHub App credentials were refused');
};

const installationToken = z.object({ token: z.string().min(1), expires_at: z.string() });

export async function requestInstallationToken(client: HttpClient, config: GithubConfig, clock: Clock, signal?: AbortSignal): Promise<IssuedToken> {
  let key;
  try {
    key = createPrivateKey(config.privateKey!);
  } catch (err) {
    throw connectorError('connector.invalid_config', 'github.privateKey: cannot be read as an RSA private key', { provider: 'github', op: 'installation.token' }, err);
  }
  const now = Math.floor(clock.now().getTime() / 1000);
  const jwt = await new SignJWT({})
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
    .setIssuer(config.appId!)
    .setIssuedAt(now - 60)
    .setExpirationTime(now + 9 * 60)
    .sign(key);
  const res = await client.send({
    op: 'installation.token',
    url: `${config.apiBaseUrl}/app/installations/${config.installationId}/access_tokens`,
    method: 'POST',
    headers: { ...GITHUB_HEADERS, authorization: `Bearer ${jwt}` },
    isAuth: true,
    signal,
    classify: classifyInstallationToken,
  });
  const parsed = installationToken.safeParse(readJson(res));
  const expiresAt = parsed.success ? Date.parse(parsed.data.expires_at) : NaN;
  if (!parsed.success || Number.isNaN(expiresAt)) {
    throw connectorError('connector.upstream_error', `malformed installation token response: ${describe(res, {})}`, { provider: 'github', op: 'installation.token', status: res.status });
  }
  return { value: parsed.data.token, lifetimeMs: Math.max(0, expiresAt - clock.now().getTime()) };
}
