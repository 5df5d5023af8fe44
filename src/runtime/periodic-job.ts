import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';

/**
 * A housekeeping job (e.g. expiring invitations) run every `intervalMs` by one replica: a store
 * lease per interval picks the replica; runs never overlap within a process; errors are logged and
 * the next interval tries again.
 */
export class PeriodicJob {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;

  constructor(
    private readonly name: string,
    private readonly intervalMs: number,
    private readonly job: () => Promise<unknown>,
    private readonly deps: { store: Store; logger: Logger; holder: string; now?: () => number },
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  async tick(): Promise<void> {
    if (this.current) return;
    const slot = Math.floor((this.deps.now ?? Date.now)() / this.intervalMs);
    this.current = (async () => {
      try {
        if (!(await this.deps.store.tryAcquireLease(`job:${this.name}:${slot}`, this.deps.holder, this.intervalMs))) return;
        const result = await this.job();
        this.deps.logger.debug('periodic job done', { job: this.name, result });
      } catch (err) {
        this.deps.logger.warn('periodic job failed; retrying next interval', { job: this.name, error: (err as Error).message });
      }
    })();
    try {
      await this.current;
    } finally {
      this.current = undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.current;
  }
}
