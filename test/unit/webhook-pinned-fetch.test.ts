import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import nock from 'nock';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pinnedFetch } from '../../src/services/webhooks/pinned-fetch.js';

describe('the pinned fetch webhook deliveries use behind the destination guard', () => {
  let server: Server;
  let port: number;
  const seen: { method: string; host: string; body: string; signature: string }[] = [];

  beforeAll(async () => {
    // hooks.invalid never resolves: reaching the local receiver proves the pinned address was used.
    nock.enableNetConnect(/^(127\.0\.0\.1|hooks\.invalid)(:\d+)?$/);
    server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', host: req.headers.host ?? '', body, signature: String(req.headers['x-idsync-signature'] ?? '') });
        if (req.url === '/empty') res.writeHead(204).end();
        else if (req.url === '/slow') setTimeout(() => res.writeHead(200).end('late'), 2_000);
        else res.writeHead(201, { 'content-type': 'text/plain', 'x-answer': 'yes' }).end('created');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('when the host name would resolve elsewhere, then the request still goes to the pinned address, with its own Host header', async () => {
    const res = await pinnedFetch('127.0.0.1', 4)(`http://hooks.invalid:${port}/hook`, { method: 'POST', headers: { 'X-Idsync-Signature': 'v1=abc' }, body: '{"a":1}' });
    expect({ status: res.status, text: await res.text(), answer: res.headers.get('x-answer') }).toEqual({ status: 201, text: 'created', answer: 'yes' });
    expect(seen.at(-1)).toEqual({ method: 'POST', host: `hooks.invalid:${port}`, body: '{"a":1}', signature: 'v1=abc' });
  });

  it('when the receiver answers 204, then the response has no body', async () => {
    const res = await pinnedFetch('127.0.0.1', 4)(`http://hooks.invalid:${port}/empty`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('when the signal fires before the receiver answers, then the request is cut with an abort error', async () => {
    const started = Date.now();
    await expect(pinnedFetch('127.0.0.1', 4)(`http://hooks.invalid:${port}/slow`, { method: 'POST', body: 'x', signal: AbortSignal.timeout(200) })).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
