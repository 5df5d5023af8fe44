/**
 * The bit every local fake directory shares: an HTTP server on 127.0.0.1, port 0, a request log,
 * and fault injection by route (a queue of canned responses served before the real handler).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface FaultBase {
  /** Stall this long before answering (to trip client timeouts); ends early when the client hangs up. */
  readonly delayMs?: number;
  /** Only requests this matches take the fault (e.g. page 2 only); others go to the real handler. */
  readonly when?: (req: FakeRequest) => boolean;
  /** Called when a request takes the fault (e.g. to cancel the client's run at that moment). */
  readonly onServe?: () => void;
}

/** A canned response served instead of the real one. */
export interface CannedFault extends FaultBase {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

/** The real response, changed on its way out (a next link dropped, a page truncated). */
export interface RewriteFault extends FaultBase {
  readonly rewrite: (reply: Reply, req: FakeRequest) => Reply;
}

export type Fault = CannedFault | RewriteFault;

export interface FakeRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

export interface Reply {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
}

export type Route<R extends string> = (req: FakeRequest) => { route: R; handle: () => Reply | Promise<Reply> } | undefined;

export class FakeServer<R extends string> {
  readonly log: Array<{ route: R | 'unknown'; method: string; path: string; status: number }> = [];
  private readonly faults = new Map<R, Fault[]>();
  /** Faults served so far (a test can prove its fault was really met). */
  faultsServed = 0;
  private server: Server | undefined;
  url = '';

  constructor(private readonly router: Route<R>) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next `times` requests to `route` (that the fault's `when` matches) get this fault. */
  inject(route: R, fault: Fault, times = 1): void {
    const q = this.faults.get(route) ?? [];
    for (let i = 0; i < times; i++) q.push(fault);
    this.faults.set(route, q);
  }

  /** Drops every fault not yet served, so none leaks into a later case. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Faults still queued for a route (all routes without one). */
  pendingFaults(route?: R): number {
    return route === undefined ? [...this.faults.values()].reduce((n, q) => n + q.length, 0) : (this.faults.get(route)?.length ?? 0);
  }

  calls(route?: R): number {
    return route === undefined ? this.log.length : this.log.filter((l) => l.route === route).length;
  }

  private takeFault(route: R, req: FakeRequest): Fault | undefined {
    const q = this.faults.get(route);
    const i = q ? q.findIndex((f) => !f.when || f.when(req)) : -1;
    if (i < 0) return undefined;
    this.faultsServed += 1;
    return q!.splice(i, 1)[0];
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fr: FakeRequest = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', this.url), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    const match = this.router(fr);
    let reply: Reply;
    if (!match) reply = { status: 404, body: { message: 'no such route in the fake' } };
    else {
      const fault = this.takeFault(match.route, fr);
      fault?.onServe?.();
      if (fault?.delayMs) await stall(fault.delayMs, res);
      if (fault && 'rewrite' in fault) reply = fault.rewrite(await match.handle(), fr);
      else reply = fault ?? (await match.handle());
    }
    this.log.push({ route: match?.route ?? 'unknown', method: fr.method, path: fr.url.pathname, status: reply.status });
    if (res.destroyed) return;
    const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }
}

/** Waits, but no longer than the client stays connected. */
function stall(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      res.off('close', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    res.on('close', done);
  });
}

export function bearer(req: FakeRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

export function form(req: FakeRequest): URLSearchParams {
  return new URLSearchParams(req.body);
}
