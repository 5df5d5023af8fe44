import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';

/** fetch as the webhook sender calls it (global fetch, or one pinned to a vetted address). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/**
 * A fetch that connects to one address the destination check already vetted, whatever the host
 * name resolves to by then: a DNS answer that changes between the check and the connection (DNS
 * rebinding) cannot steer the request elsewhere. TLS still verifies the certificate against the host
 * name (SNI and hostname check use the URL's host). Redirects are never followed.
 */
export function pinnedFetch(address: string, family: 4 | 6): FetchLike {
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) (callback as unknown as (err: null, addresses: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const target = new URL(url);
      const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
      const req = send(target, { method: init.method ?? 'GET', headers: headerRecord(init.headers), lookup, ...(init.signal ? { signal: init.signal } : {}) }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          const empty = status === 204 || status === 205 || status === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status: status >= 200 && status <= 599 ? status : 502, headers }));
        });
      });
      req.on('error', reject);
      if (typeof init.body === 'string') req.end(init.body);
      else req.end();
    });
}

function headerRecord(h: RequestInit['headers']): Record<string, string> {
  return h === undefined ? {} : Object.fromEntries(new Headers(h).entries());
}
