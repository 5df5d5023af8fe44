/**
 * Serialises async work per key inside one process, so that a compare-and-swap only ever loses to
 * another process and never to a sibling call of this one: the Redis store's writes of one org
 * (the audit head), SCIM PATCHes of one user without If-Match.
 *
 * Waiting for a turn is bounded by progress, not by the length of the queue: a caller waits while
 * the turns ahead of it keep succeeding, and fails once none has succeeded for `waitMs`. So when
 * the store hangs (every turn fails by its timeout), queued callers fail instead of piling up; when
 * it is only busy (a burst of writes to one org on a loaded host), the queue drains however deep.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();
  /** When a turn of the key last succeeded, while callers are queued on it. */
  private readonly succeededAt = new Map<string, number>();

  constructor(
    private readonly waitMs: number,
    private readonly onTimeout: (key: string, waitMs: number) => Error,
  ) {}

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    const forget = () => {
      if (this.tails.get(key) !== tail) return;
      this.tails.delete(key);
      this.succeededAt.delete(key);
    };

    const turn = await this.waitFor(key, previous);
    if (!turn) {
      // Give the slot up without breaking the chain: whoever queued after us still waits for `previous`.
      release();
      void tail.then(forget);
      throw this.onTimeout(key, this.waitMs);
    }
    try {
      const result = await fn();
      this.succeededAt.set(key, Date.now());
      return result;
    } finally {
      release();
      forget();
    }
  }

  /** True once `previous` settles; false once no turn of the key has succeeded for waitMs (counted from now at the earliest). */
  private async waitFor(key: string, previous: Promise<void>): Promise<boolean> {
    const since = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<false>((resolve) => {
      const check = (): void => {
        const left = Math.max(since, this.succeededAt.get(key) ?? 0) + this.waitMs - Date.now();
        if (left <= 0) resolve(false);
        else timer = setTimeout(check, left);
      };
      timer = setTimeout(check, this.waitMs);
    });
    try {
      return await Promise.race([previous.then(() => true), stalled]);
    } finally {
      clearTimeout(timer);
    }
  }
}
