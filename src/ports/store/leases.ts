/** Named, expiring leases that let exactly one replica run a piece of scheduled work. */
export interface LeaseStore {
  /**
   * A lease: true when `holder` now holds `name` (it was free, expired, or already held by the same
   * holder) for `ttlMs`; false when another holder has it. Scheduled work uses it so that among
   * several replicas exactly one runs a given tick.
   */
  tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
}
