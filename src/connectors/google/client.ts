/**
 * Google-specific meaning of responses (DIRECTORY-APIS.md §1.4, §1.5) and the service-account
 * token request (JWT-bearer grant, `sub` = adminEmail, signed with jose).
 */
import { createPrivateKey } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { IssuedToken } from '../http/token-cache.js';
import { defaultVerdict, describe, fail, readJson, throttle, type Classifier, type HttpResponse, type UpstreamError, type Verdict } from '../http/verdict.js';
import { parseRetryAfter } from '../http/backoff.js';
import { GOOGLE_GROUP_SCOPE, GOOGLE_SCOPE, googleScopes, type GoogleConfig } from './config.js';

/** 403/429 reasons Google documents as "back off and retry". */
const THROTTLE_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded']);

const errorBody = z.object({
  error: z.object({
    code: z.number().optional(),
    message: z.string().optional(),
    errors: z.array(z.object({ reason: z.string().optional(), message: z.string().optional(), domain: z.string().optional() })).optional(),
    status: z.string().optional(),
  }),
});

export function googleUpstreamError(res: HttpResponse): UpstreamError {
  const parsed = errorBody.safeParse(readJson(res));
  if (!parsed.success) return {};
  const e = parsed.data.error;
  return { code: e.errors?.[0]?.reason ?? e.status, message: e.message ?? e.errors?.[0]?.message };
}

export const classifyGoogle: Classifier = (res, ctx): Verdict => {
  if (res.status < 400 || ctx.accept.includes(res.status)) return defaultVerdict('google', res, ctx, {});
  const upstream = googleUpstreamError(res);
  if (res.status === 403 && upstream.code !== undefined && THROTTLE_REASONS.has(upstream.code)) {
    return throttle('google', res, ctx, upstream, { waitMs: parseRetryAfter(res.headers.get('retry-after'), ctx.now) });
  }
  if (res.status === 403 && upstream.code === 'dailyLimitExceeded') {
    return fail('connector.throttled', 'google', res, ctx, upstream, 'daily quota exhausted (not retried)');
  }
  if (res.status === 403) {
    return fail('connector.forbidden', 'google', res, ctx, upstream, 'not allowed to read the directory as adminEmail (is it an administrator, and is the scope granted?)');
  }
  if (res.status === 404) return fail('connector.not_found', 'google', res, ctx, upstream, 'customer or domain not found');
  return defaultVerdict('google', res, ctx, upstream);
};

const tokenError = z.object({ error: z.string(), error_description: z.string().optional() });
const tokenSuccess = z.object({ access_token: z.string().min(1), expires_in: z.coerce.number().positive().optional(), token_type: z.string().optional() });

/** Token-endpoint failures: which OAuth error means which thing to fix. */
const classifyGoogleToken: Classifier = (res, ctx) => {
  if (res.status < 400 || res.status === 429 || res.status >= 500) return defaultVerdict('google', res, ctx, {});
  const parsed = tokenError.safeParse(readJson(res));
  const upstream: UpstreamError = parsed.success ? { code: parsed.data.error, message: parsed.data.error_description } : {};
  if (upstream.code === 'unauthorized_client' || upstream.code === 'access_denied') {
    return fail('connector.forbidden', 'google', res, ctx, upstream, `domain-wide delegation is not granted to this service account for ${GOOGLE_SCOPE} (and ${GOOGLE_GROUP_SCOPE} when the connection selects groups)`);
  }
  return fail('connector.auth_failed', 'google', res, ctx, upstream, 'the token endpoint refused the service account assertion');
};

export async function requestGoogleToken(client: HttpClient, config: GoogleConfig, clock: Clock, signal?: AbortSignal): Promise<IssuedToken> {
  const key = config.serviceAccountKey;
  let privateKey;
  try {
    privateKey = createPrivateKey(key.private_key);
  } catch (err) {
    throw connectorError('connector.invalid_config', 'google.serviceAccountKey.private_key: cannot be read as an RSA private key', { provider: 'google', op: 'token' }, err);
  }
  const now = Math.floor(clock.now().getTime() / 1000);
  const assertion = await new SignJWT({ scope: googleScopes(config) })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) })
    .setIssuer(key.client_email)
    .setSubject(config.adminEmail)
    .setAudience(config.tokenUrl)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  const res = await client.send({
    op: 'token',
    url: config.tokenUrl,
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString(),
    isAuth: true,
    signal,
    classify: classifyGoogleToken,
  });
  const parsed = tokenSuccess.safeParse(readJson(res));
  if (!parsed.success) throw connectorError('connector.upstream_error', `malformed token response: ${describe(res, {})}`, { provider: 'google', op: 'token', status: res.status });
  return { value: parsed.data.access_token, lifetimeMs: (parsed.data.expires_in ?? 3600) * 1000 };
}
