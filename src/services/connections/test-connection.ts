/**
 * `idsync connections test`: authenticate, list the whole directory, and say what happened in one
 * object the CLI prints. The error is the coded cause (bad credentials, missing scope or
 * delegation, unknown tenant or org, unreachable host…), never a bare "failed".
 */
import type { ErrorCode } from '../../domain/errors.js';
import type { DirectoryConnector } from '../../ports/directory.js';

export interface ConnectionTestResult {
  /** True only for a complete listing. */
  readonly ok: boolean;
  /** Distinct users listed. */
  readonly users: number;
  readonly pages: number;
  readonly apiCalls: number;
  readonly complete: boolean;
  readonly durationMs: number;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

export async function testConnection(connector: DirectoryConnector, opts: { signal?: AbortSignal } = {}): Promise<ConnectionTestResult> {
  const listing = connector.listUsers(opts.signal ? { signal: opts.signal } : {});
  // Ids only: a restarted listing may yield a user twice.
  const ids = new Set<string>();
  for await (const u of listing) ids.add(u.id);
  const r = await listing.done;
  return {
    ok: r.complete,
    users: ids.size,
    pages: r.pages,
    apiCalls: r.counters.apiCalls,
    complete: r.complete,
    durationMs: r.durationMs,
    ...(r.error ? { error: { code: r.error.code, message: r.error.message } } : {}),
  };
}
