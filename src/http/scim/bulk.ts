import type { Request, Response } from 'express';
import { OPERATION_PATH_MAX, type ScimLogOperationError } from '../../domain/scim-log.js';
import { readBulkRequest, substitute, type BulkOperation, type RefusedOperation } from './bulk-plan.js';
import type { ScimContext } from './context.js';
import { ScimError, scimErrorBody, toScimError } from './errors.js';
import type { GroupWrites } from './group-writes.js';
import { sendJson, type ScimOutcome } from './http-util.js';
import { etagOf } from './schemas.js';
import type { UserWrites } from './user-writes.js';

export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';

export interface BulkOptions {
  users: UserWrites;
  groups: GroupWrites;
  baseUrl: string;
  maxOperations: number;
  /** Takes `n` more requests from the token's rate limit, or throws its 429. */
  takeRate: (tokenId: string, n: number) => void;
}

interface OperationResult {
  method?: string;
  bulkId?: string;
  location?: string;
  version?: string;
  status: string;
  response?: unknown;
}

/**
 * `POST /Bulk` (RFC 7644 §3.7). Each operation goes through the same write functions as a single
 * request (so the same rules, audit events and webhooks); operations run one at a time, each one
 * waiting for the operations whose `bulkId` it refers to, so a group may name users created later
 * in the request. An operation's failure is its own (its SCIM error in `response`); with
 * `failOnErrors`, processing stops once that many have failed and the rest are not performed.
 */
export function bulkHandler(opts: BulkOptions) {
  return async (req: Request, res: Response): Promise<void> => {
    const ctx = res.locals.scim;
    const request = readBulkRequest(req.body, opts.maxOperations);
    // The request already took one from the token's budget; each further operation takes one more.
    if (request.operations.length > 1) opts.takeRate(ctx.tokenId, request.operations.length - 1);
    const results = new Map<number, OperationResult>();
    for (const r of request.refused) results.set(r.index, failure(r, r.error));
    let errors = request.refused.length;
    const created = new Map<string, string>();
    const failedIds = new Set<string>();
    const stop = () => request.failOnErrors !== undefined && errors >= request.failOnErrors;
    let pending = [...request.operations];
    while (pending.length > 0 && !stop()) {
      const ready = pending.find((op) => op.refs.every((r) => created.has(r) || failedIds.has(r)));
      if (!ready) {
        // Nothing can run: what is left waits on itself (a cycle) or on an operation in one.
        for (const op of pending) {
          results.set(op.index, failure(op, new ScimError(409, `operation ${op.index + 1} is part of a circular bulkId reference (${op.refs.join(', ')})`, 'invalidValue')));
          errors += 1;
        }
        break;
      }
      pending = pending.filter((op) => op !== ready);
      const broken = ready.refs.find((r) => failedIds.has(r));
      if (broken !== undefined) {
        results.set(ready.index, failure(ready, new ScimError(409, `bulkId ${broken} could not be resolved: its operation failed`, 'invalidValue')));
        if (ready.bulkId !== undefined) failedIds.add(ready.bulkId);
        errors += 1;
        continue;
      }
      try {
        const outcome = await run(opts, ctx, ready, created);
        const id = idOf(outcome);
        if (ready.method === 'POST' && ready.bulkId !== undefined && id) created.set(ready.bulkId, id);
        results.set(ready.index, {
          method: ready.method,
          ...(ready.bulkId !== undefined ? { bulkId: ready.bulkId } : {}),
          location: outcome.location ?? `${opts.baseUrl}/${ready.resource}/${id ?? substitute(ready.id, created)}`,
          ...(outcome.version !== undefined ? { version: etagOf(outcome.version) } : {}),
          status: String(outcome.status),
        });
      } catch (err) {
        results.set(ready.index, failure(ready, toScimError(err)));
        if (ready.bulkId !== undefined) failedIds.add(ready.bulkId);
        errors += 1;
      }
    }
    const ordered = [...results.entries()].sort(([a], [b]) => a - b);
    const failed = operationErrors(ordered, req.body);
    if (failed.length > 0) res.locals.scimOperationErrors = failed;
    sendJson(res, 200, { schemas: [BULK_RESPONSE_SCHEMA], Operations: ordered.map(([, r]) => r) });
  };
}

async function run(opts: BulkOptions, ctx: ScimContext, op: BulkOperation, created: ReadonlyMap<string, string>): Promise<ScimOutcome> {
  const writes = op.resource === 'Users' ? opts.users : opts.groups;
  const data = substitute(op.data, created);
  const id = op.id === undefined ? undefined : (substitute(op.id, created) as string);
  switch (op.method) {
    case 'POST':
      return writes.create(ctx, data);
    case 'PUT':
      return writes.replace(ctx, id!, data, op.version);
    case 'PATCH':
      return writes.patch(ctx, id!, data, op.version);
    case 'DELETE':
      return writes.remove(ctx, id!, op.version);
  }
}

function idOf(o: ScimOutcome): string | undefined {
  const body = o.body as { id?: unknown } | undefined;
  if (typeof body?.id === 'string') return body.id;
  return o.location?.slice(o.location.lastIndexOf('/') + 1);
}

/** Each failed operation's SCIM error with where it was (position, method, path as sent, bulkId): what the request log keeps of a Bulk. */
function operationErrors(ordered: [number, OperationResult][], body: unknown): ScimLogOperationError[] {
  const raw = (body as { Operations?: unknown[] }).Operations ?? [];
  const out: ScimLogOperationError[] = [];
  for (const [index, r] of ordered) {
    const error = r.response as { status?: string; scimType?: string; detail?: string } | undefined;
    if (!error || Number(r.status) < 400) continue;
    const path = (raw[index] as { path?: unknown } | undefined)?.path;
    out.push({
      operation: index + 1,
      ...(r.method !== undefined ? { method: r.method } : {}),
      ...(typeof path === 'string' ? { path: path.slice(0, OPERATION_PATH_MAX) } : {}),
      ...(r.bulkId !== undefined ? { bulkId: r.bulkId } : {}),
      status: r.status,
      ...(error.scimType ? { scimType: error.scimType } : {}),
      detail: String(error.detail ?? ''),
    });
  }
  return out;
}

function failure(op: Pick<RefusedOperation, 'method' | 'bulkId'>, error: ScimError): OperationResult {
  return {
    ...(op.method !== undefined ? { method: op.method } : {}),
    ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}),
    status: String(error.status),
    response: scimErrorBody(error),
  };
}
