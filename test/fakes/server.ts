/**
 * The bit every local fake directory shares: an HTTP server on 127.0.0.1, port 0, a request log,
 * and fault injection by route (a queue of canned responses served before the real handler).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: unknown;
  /** Stall this long before answering (to trip client timeouts). */
  readonly delayMs?: number;
}

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

  /** The next `times` requests to `route` get this response instead of the real one. */
  inject(route: R, fault: Fault, times = 1): void {
    const q = this.faults.get(route) ?? [];
    for (let i = 0; i < times; i++) q.push(fault);
    this.faults.set(route, q);
  }

  calls(route?: R): number {
    return route === undefined ? this.log.length : this.log.filter((l) => l.route === route).length;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const fr: FakeRequest = { method: req.method ?? 'GET', url: new URL(req.url ?? '/', this.url), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
    const match = this.router(fr);
    let reply: Reply;
    if (!match) reply = { status: 404, body: { message: 'no such route in the fake' } };
    else {
      const fault = this.faults.get(match.route)?.shift();
      if (fault?.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      reply = fault ?? (await match.handle());
    }
    this.log.push({ route: match?.route ?? 'unknown', method: fr.method, path: fr.url.pathname, status: reply.status });
    const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(body);
  }
}

export function bearer(req: FakeRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : undefined;
}

export function form(req: FakeRequest): URLSearchParams {
  return new URLSearchParams(req.body);
}
