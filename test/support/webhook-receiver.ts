import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Received = { path: string; headers: IncomingHttpHeaders; body: string; event: { id: string; type: string; time: string; orgId: string; data: Record<string, unknown> } };

/** A webhook receiver on 127.0.0.1: records every request; `answer` picks the status per path. */
export async function receiver() {
  const got: Received[] = [];
  const answers = new Map<string, number[]>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const path = req.url ?? '/';
      got.push({ path, headers: req.headers, body, event: JSON.parse(body) as Received['event'] });
      const queue = answers.get(path);
      res.statusCode = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? 200);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    got,
    url: (path: string) => `${base}${path}`,
    /** Statuses answered in turn on this path; the last one repeats. */
    answer: (path: string, ...statuses: number[]) => answers.set(path, statuses),
    on: (path: string) => got.filter((r) => r.path === path),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 8000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

