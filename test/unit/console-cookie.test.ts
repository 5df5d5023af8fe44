import { describe, expect, it } from '@jest/globals';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { sessionCookie } from '../../src/http/console/session.js';

async function setCookieFor(publicUrl: string): Promise<string> {
  const app = express();
  const cookie = sessionCookie(publicUrl);
  app.get('/', (_req, res) => {
    cookie.set(res, 'idsync_cs_token', new Date(Date.UTC(2026, 0, 1, 6)).toISOString(), Date.UTC(2026, 0, 1));
    res.end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return res.headers.get('set-cookie') ?? '';
  } finally {
    server.close();
  }
}

describe('the console session cookie', () => {
  it('when the public URL is https, then the cookie is __Host- prefixed, Secure, httpOnly, SameSite=Strict, Path=/ and has no Domain', async () => {
    const header = await setCookieFor('https://idsync.example.com');
    expect(header).toMatch(/^__Host-idsync_console=idsync_cs_token; Max-Age=21600; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Strict$/);
  });

  it('when the public URL is plain http (local development), then the cookie has no prefix and no Secure flag, and is otherwise as strict', async () => {
    const header = await setCookieFor('http://localhost:8080');
    expect(header).toMatch(/^idsync_console=idsync_cs_token; Max-Age=21600; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/);
  });
});
