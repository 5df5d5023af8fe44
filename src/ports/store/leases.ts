/** Named, expiring leases that let exactly one replica run a piece of scheduled work. */
export interface LeaseStore {
  /**
   * A lease: true when `holder` now holds `name` (it was free, expired, or already held by the same
   * holder) for `ttlMs`; false when another holder has it. Scheduled work uses it so that among
   * several replicas exactly one runs a given tick.
   */
  tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease back at once, if `holder` still holds it (true); another holder's lease is left alone (false). */
  releaseLease(name: string, holder: string): Promise<boolean>;
  /**
   * Forgets leases that have expired (leases are also claims and replay guards now: one per
   * notification delivery, OAuth assertion jti, …, so they must not pile up). Returns how many went;
   * a backend whose leases expire by themselves returns 0. A live lease is never touched.
   */
  sweepExpiredLeases(): Promise<number>;
}
