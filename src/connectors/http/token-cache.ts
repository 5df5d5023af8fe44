/**
 * Bearer tokens cached per connection and refreshed before they expire. Concurrent callers share one
 * token request. A 401 from the API invalidates the cached token so the next call fetches a new one.
 */
import type { Clock } from '../../ports/clock.js';
import type { CachedToken, TokenStore } from '../../ports/directory.js';

/** Refresh this long before expiry (or at half the lifetime for short-lived tokens). */
const REFRESH_MARGIN_MS = 5 * 60_000;

export interface IssuedToken {
  readonly value: string;
  /** Lifetime in ms from the moment it was issued. */
  readonly lifetimeMs: number;
}

/** What the HTTP client needs from an auth scheme. */
export interface BearerAuth {
  token(signal?: AbortSignal): Promise<string>;
  invalidate(): void;
  /** False for a static token: refreshing would send the same value again. */
  readonly refreshable: boolean;
}

export function memoryTokenStore(): TokenStore {
  let current: CachedToken | undefined;
  return { get: () => current, set: (t) => (current = t) };
}

export class TokenCache implements BearerAuth {
  readonly refreshable = true;
  private inflight: Promise<CachedToken> | undefined;

  constructor(
    private readonly store: TokenStore,
    private readonly clock: Clock,
    private readonly issue: (signal?: AbortSignal) => Promise<IssuedToken>,
  ) {}

  async token(signal?: AbortSignal): Promise<string> {
    const now = this.clock.now().getTime();
    const cached = this.store.get();
    if (cached && now < cached.expiresAt) return cached.value;
    this.inflight ??= this.issue(signal)
      .then((t) => {
        const issuedAt = this.clock.now().getTime();
        const margin = Math.min(REFRESH_MARGIN_MS, t.lifetimeMs / 2);
        const token: CachedToken = { value: t.value, expiresAt: issuedAt + t.lifetimeMs - margin };
        this.store.set(token);
        return token;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return (await this.inflight).value;
  }

  invalidate(): void {
    this.store.set(undefined);
  }
}

export function staticToken(value: string): BearerAuth {
  return { token: async () => value, invalidate: () => undefined, refreshable: false };
}
