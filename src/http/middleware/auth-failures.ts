/**
 * Failed authentication, throttled per client address: each request that presents a missing,
 * unknown or revoked credential takes one token from its address's bucket (`perMinute` tokens,
 * refilled continuously). With the bucket empty, a failed attempt answers 429 with Retry-After
 * instead of 401. Valid credentials never take a token and are never refused here, so an IdP that
 * shares an egress address with a misconfigured one keeps provisioning.
 *
 * Per replica and in memory, like the SCIM rate limit; the map is bounded so that a flood of
 * distinct addresses cannot grow it without end (the oldest buckets go first).
 */
export class AuthFailureThrottle {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = () => Date.now(),
    private readonly maxAddresses = 10_000,
  ) {}

  /**
   * Records one failed attempt from `address`. Returns the seconds to wait when the address has
   * used up its failures (the caller answers 429), undefined while it may still be told 401.
   */
  failed(address: string): number | undefined {
    if (this.perMinute <= 0) return undefined;
    const t = this.now();
    const perMs = this.perMinute / 60_000;
    const b = this.buckets.get(address) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * perMs);
    b.at = t;
    this.buckets.delete(address);
    this.buckets.set(address, b);
    if (this.buckets.size > this.maxAddresses) this.buckets.delete(this.buckets.keys().next().value!);
    if (b.tokens < 1) return Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    b.tokens -= 1;
    return undefined;
  }
}
