import type { Logger } from '../../ports/logger.js';
import type { HttpMetrics } from '../metrics.js';

/** Seconds a client is asked to wait on every 503 `store.unavailable` (SCIM and admin API alike). */
export const STORE_RETRY_AFTER_SECONDS = 5;

/**
 * A store outage is one story in the log, not one stack per request: the first 503 logs the
 * transition at error level, each further one only counts (`idsync_store_unavailable_responses_total`),
 * and the first answered request after it logs the recovery with how long it lasted and how many
 * requests were refused. Shared by every surface of one app (SCIM, admin API, join).
 */
export class StoreOutage {
  private down: { since: number; refused: number } | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly metrics: Pick<HttpMetrics, 'storeUnavailable'>,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** A request answered 503 because the store is unreachable. */
  refused(surface: 'scim' | 'api' | 'join' | 'console', cause: unknown): void {
    this.metrics.storeUnavailable.inc({ surface });
    if (this.down) {
      this.down.refused += 1;
      return;
    }
    this.down = { since: this.now(), refused: 1 };
    this.logger.error('store unavailable: answering 503 with Retry-After until it is back', { surface, retryAfterSeconds: STORE_RETRY_AFTER_SECONDS, error: cause instanceof Error ? cause.message : String(cause) });
  }

  /** A request was answered without a server error: if the store was down, it is back. */
  answered(): void {
    if (!this.down) return;
    const { since, refused } = this.down;
    this.down = undefined;
    this.logger.warn('store available again', { outageMs: this.now() - since, refusedRequests: refused });
  }
}
