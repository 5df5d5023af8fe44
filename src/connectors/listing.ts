/**
 * Turns a provider's page reader into a DirectoryListing that keeps the completeness contract of
 * src/ports/directory.ts: users stream one page at a time (memory bounded by a page), failures end
 * the iteration quietly with `complete: false` and a coded error, an expired page token restarts
 * the listing once, and `complete: true` is set only after the reader returned normally — which a
 * reader does only when the provider said there are no more pages.
 */
import { IdsyncError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { ConnectorCounters, DirectoryUser, ListingError, ListingResult } from '../ports/directory.js';
import type { Logger } from '../ports/logger.js';
import { toListingError } from './http/errors.js';

/** Thrown by a page reader when the directory rejects its page token as expired. */
export class PageTokenExpiredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PageTokenExpiredError';
  }
}

export interface ReaderContext {
  readonly signal?: AbortSignal | undefined;
  /** True on the second pass after an expired page token. */
  readonly restarted: boolean;
}

/** Yields one array per page received (empty pages included); returns extra result fields. */
export type PageReader<X> = (ctx: ReaderContext) => AsyncGenerator<readonly DirectoryUser[], X, void>;

export interface StreamingListing<X> extends AsyncIterable<DirectoryUser> {
  result(): ListingResult & Partial<X>;
  readonly done: Promise<ListingResult & Partial<X>>;
}

export interface ListingDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly counters: () => ConnectorCounters;
  readonly signal?: AbortSignal | undefined;
}

export function createListing<X extends object = object>(read: PageReader<X>, deps: ListingDeps): StreamingListing<X> {
  let state: 'new' | 'running' | 'ended' = 'new';
  let settle: (r: ListingResult & Partial<X>) => void = () => undefined;
  const done = new Promise<ListingResult & Partial<X>>((resolve) => (settle = resolve));
  const startedAt = deps.clock.now().getTime();
  let startCounters: ConnectorCounters = deps.counters();
  let users = 0;
  let pages = 0;
  let restarts = 0;
  let complete = false;
  let error: ListingError | undefined;
  let extra: Partial<X> = {};
  let final: (ListingResult & Partial<X>) | undefined;

  const snapshot = (): ListingResult & Partial<X> => {
    const now = deps.counters();
    const counters: ConnectorCounters = {
      apiCalls: now.apiCalls - startCounters.apiCalls,
      authCalls: now.authCalls - startCounters.authCalls,
      retries: now.retries - startCounters.retries,
      throttled: now.throttled - startCounters.throttled,
      byStatus: Object.fromEntries(Object.entries(now.byStatus).map(([k, n]) => [k, n - (startCounters.byStatus[k] ?? 0)]).filter(([, n]) => n !== 0)),
    };
    const err = complete ? undefined : (error ?? { code: 'connector.incomplete' as const, message: 'the listing has not finished' });
    return { ...extra, complete, users, pages, restarts, counters, durationMs: deps.clock.now().getTime() - startedAt, ...(err ? { error: err } : {}) };
  };

  async function* iterate(): AsyncGenerator<DirectoryUser, void, void> {
    startCounters = deps.counters();
    try {
      for (;;) {
        const reader = read({ signal: deps.signal, restarted: restarts > 0 });
        try {
          for (;;) {
            if (deps.signal?.aborted) throw new IdsyncError('connector.aborted', 'the run was cancelled');
            const next = await reader.next();
            if (next.done) {
              extra = next.value;
              break;
            }
            pages += 1;
            for (const u of next.value) {
              users += 1;
              yield u;
            }
          }
          complete = true;
          return;
        } catch (err) {
          if (!(err instanceof PageTokenExpiredError)) throw err;
          if (restarts > 0) throw new IdsyncError('connector.incomplete', `page token expired again after restarting the listing: ${err.message}`);
          restarts += 1;
          deps.logger.warn('page token expired; restarting the listing once', { pages, users, reason: err.message });
        } finally {
          await reader.return(undefined as never).catch(() => undefined);
        }
      }
    } catch (err) {
      error = toListingError(err);
      deps.logger.warn('directory listing incomplete', { pages, users, code: error.code, reason: error.message });
    } finally {
      if (!complete && !error) error = { code: 'connector.aborted', message: 'the consumer stopped reading before the last page' };
      state = 'ended';
      final = snapshot();
      settle(final);
    }
  }

  return {
    [Symbol.asyncIterator]() {
      if (state !== 'new') throw new IdsyncError('internal', 'a directory listing can be iterated only once');
      state = 'running';
      return iterate();
    },
    result: () => final ?? snapshot(),
    done,
  };
}
