import { Worker } from 'node:worker_threads';
import { IdsyncError } from '../../domain/errors.js';
import { mapRuntimeError } from './open.js';
import type { LogPageRow } from './scim-log-pages.js';
import { INSERT_PAGE } from './scim-log-schema.js';

type Reply = { id: number; error?: { message: string; code?: string } };

/** A thread with nothing to write for this long closes its connection and ends; the next batch starts another. */
const IDLE_MS = 15_000;

/**
 * Inserts SCIM log pages from a worker thread with a connection of its own (scim-log-writer.mjs)
 * into the log's own file (scim-log-schema.ts). The event loop only serialises a batch and posts it:
 * the inserts, their index updates and the WAL checkpoints they bring cost lookups 6–9% of their
 * throughput when they ran on it (bench/RESULTS.md, 2026-12-05). The thread starts with the first
 * batch, again after it died, and ends after IDLE_MS without work (a store nobody closed does not
 * keep a thread, nor through it itself, alive). A batch it could not write rejects with the store's
 * error, so the recorder keeps the entries and retries them.
 */
export class ScimLogThread {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: unknown) => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private next = 0;
  private idle: NodeJS.Timeout | undefined;

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
    private readonly idleMs: number = IDLE_MS,
  ) {}

  /** Whether a thread is up now. */
  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Inserts the pages (scim-log-pages.ts pagesOf) in one transaction; settles when they are written or refused. */
  append(pages: readonly LogPageRow[]): Promise<void> {
    const worker = this.start();
    clearTimeout(this.idle);
    const id = ++this.next;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
    worker.ref();
    worker.postMessage({ id, pages });
    return done;
  }

  /** Lets batches in flight finish, then stops the thread and closes its connection. */
  async close(): Promise<void> {
    clearTimeout(this.idle);
    await Promise.all(this.inFlight);
    await this.stop();
  }

  private async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // Held until it has exited: an unreferenced worker would let a process that awaits it end mid-close.
    worker.ref();
    worker.postMessage({ close: true });
    await exited;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(new URL('./scim-log-writer.mjs', import.meta.url), { workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs, insertPage: INSERT_PAGE } });
    worker.unref();
    worker.on('message', (reply: Reply) => this.settle(reply));
    const fail = (err: Error) => {
      // A thread stopped on purpose had nothing pending; what is pending now is its successor's.
      if (this.worker !== worker) return;
      this.worker = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new IdsyncError('store.unavailable', `SCIM log writer thread stopped: ${err.message}`, { file: this.path }, { cause: err }));
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      clearTimeout(this.idle);
      this.idle = setTimeout(() => {
        if (this.pending.size === 0) void this.stop();
      }, this.idleMs);
      this.idle.unref();
    }
    if (!reply.error) p.resolve();
    else p.reject(mapRuntimeError(Object.assign(new Error(reply.error.message), { code: reply.error.code ?? '' }), this.path));
  }
}
