/** Graph-specific meaning of responses (DIRECTORY-APIS.md §2.4). */
import { z } from 'zod';
import { defaultVerdict, fail, readJson, type Classifier, type HttpResponse, type UpstreamError } from '../http/verdict.js';

const errorBody = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }) });

export function graphUpstreamError(res: HttpResponse): UpstreamError {
  const parsed = errorBody.safeParse(readJson(res));
  return parsed.success ? { code: parsed.data.error.code, message: parsed.data.error.message } : {};
}

/**
 * 429 is throttling and 503/504 are transient, each with Retry-After honoured (generic rules);
 * 403 means a missing application permission; 404 an unknown group or user.
 */
export const classifyGraph: Classifier = (res, ctx) => {
  if (res.status < 400 || ctx.accept.includes(res.status)) return { kind: 'ok' };
  const upstream = graphUpstreamError(res);
  if (res.status === 403) {
    return fail('connector.forbidden', 'microsoft', res, ctx, upstream, 'the application lacks a Graph permission (User.Read.All, and GroupMember.Read.All with groupId; admin consent granted?)');
  }
  return defaultVerdict('microsoft', res, ctx, upstream);
};

export const GRAPH_EXPIRED_TOKEN_CODES = new Set(['Directory_ExpiredPageToken']);
/** Delta cursors that can no longer be used: start a full round (errors.md, delta-query-overview.md). */
export const GRAPH_RESYNC_CODES = new Set(['syncStateNotFound', 'resyncRequired', 'Directory_ExpiredPageToken', 'syncStateInvalid']);
