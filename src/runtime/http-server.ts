import { createServer, type Server, type ServerOptions } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';

export interface RunningServer {
  server: Server;
  port: number;
  /** Stops accepting, lets in-flight requests finish for up to timeoutMs, then cuts the rest. */
  close(timeoutMs: number): Promise<void>;
}

/** `options` may name the classes requests and responses are built from (see http/server-classes.ts). */
export function listen(handler: RequestListener, host: string, port: number, options: Pick<ServerOptions, 'IncomingMessage' | 'ServerResponse'> = {}): Promise<RunningServer> {
  const server = createServer(options, handler);
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const actual = (server.address() as AddressInfo).port;
      resolve({ server, port: actual, close: (timeoutMs) => closeServer(server, timeoutMs) });
    });
  });
}

function closeServer(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
