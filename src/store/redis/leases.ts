import type { LeaseStore } from '../../ports/store.js';
import type { RedisContext } from './context.js';

/** Leases for scheduled work: one key per name, set and extended by a script. */
export class RedisLeases implements LeaseStore {
  constructor(private readonly ctx: RedisContext) {}

  async tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const reply = await this.ctx.script('acquireLease', [this.ctx.keys.lease(name)], [holder, Math.max(1, Math.round(ttlMs))]);
    return reply[1] === 1;
  }

  async releaseLease(name: string, holder: string): Promise<boolean> {
    const reply = await this.ctx.script('releaseLease', [this.ctx.keys.lease(name)], [holder]);
    return reply[1] === 1;
  }

  /** Lease keys carry their own expiry (PX): Redis forgets them. */
  async sweepExpiredLeases(): Promise<number> {
    return 0;
  }
}
