/**
 * Serialises async work per key inside one process, so that a compare-and-swap only ever loses to
 * another process and never to a sibling call of this one: the Redis store's writes of one org
 * (the audit head), SCIM PATCHes of one user without If-Match. Waiting for a turn is bounded: when
 * the store hangs, queued callers fail instead of piling up.
 */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<void>>();

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
      if (this.tails.get(key) === tail) this.tails.delete(key);
    };

    let timer: NodeJS.Timeout | undefined;
    const turn = await Promise.race([
      previous.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), this.waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (!turn) {
      // Give the slot up without breaking the chain: whoever queued after us still waits for `previous`.
      release();
      void tail.then(forget);
      throw this.onTimeout(key, this.waitMs);
    }
    try {
      return await fn();
    } finally {
      release();
      forget();
    }
  }
}
