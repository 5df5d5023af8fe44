/**
 * GitHub's OAuth web flow, faked on 127.0.0.1: /login/oauth/authorize approves at once and redirects
 * back with a code; /login/oauth/access_token checks the client secret, the code and the PKCE
 * verifier; /user and /user/emails answer for `user`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeGithubUser {
  id: number;
  login: string;
  emails: Array<{ email: string; primary: boolean; verified: boolean }>;
}

export interface GithubOAuthFake {
  url: string;
  clientId: string;
  clientSecret: string;
  user: FakeGithubUser;
  close(): Promise<void>;
}

export async function startGithubOAuthFake(): Promise<GithubOAuthFake> {
  const codes = new Map<string, { challenge: string; redirectUri: string }>();
  const tokens = new Set<string>();
  const fake: GithubOAuthFake = {
    url: '',
    clientId: 'gh-client',
    clientSecret: 'gh-secret',
    user: { id: 4242, login: 'octo', emails: [{ email: 'octo@example.com', primary: true, verified: true }] },
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', fake.url);
      const json = (status: number, v: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(v));
      };
      if (url.pathname === '/login/oauth/authorize') {
        const q = url.searchParams;
        if (q.get('client_id') !== fake.clientId || q.get('code_challenge_method') !== 'S256') return json(400, { error: 'bad_request' });
        const code = randomBytes(8).toString('hex');
        codes.set(code, { challenge: q.get('code_challenge') ?? '', redirectUri: q.get('redirect_uri') ?? '' });
        const back = new URL(q.get('redirect_uri') ?? '');
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { location: back.href });
        return res.end();
      }
      if (url.pathname === '/login/oauth/access_token' && req.method === 'POST') {
        const f = new URLSearchParams(body);
        const c = codes.get(f.get('code') ?? '');
        codes.delete(f.get('code') ?? '');
        const verifier = createHash('sha256').update(f.get('code_verifier') ?? '').digest('base64url');
        if (f.get('client_secret') !== fake.clientSecret || !c || c.challenge !== verifier || c.redirectUri !== f.get('redirect_uri')) return json(200, { error: 'bad_verification_code' });
        const token = `gho_${randomBytes(12).toString('hex')}`;
        tokens.add(token);
        return json(200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      const auth = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      if (!tokens.has(auth)) return json(401, { message: 'Bad credentials' });
      if (url.pathname === '/user') return json(200, { id: fake.user.id, login: fake.user.login });
      if (url.pathname === '/user/emails') return json(200, fake.user.emails.map((e) => ({ ...e, visibility: null })));
      return json(404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  return fake;
}
