/**
 * A real OpenID provider for the join tests: the `oidc-provider` package (a certified OP) on
 * 127.0.0.1, port 0, with one confidential client. The login/consent interaction auto-approves as
 * `user` (set it before each sign-in), so a browser or a fetch loop walks the real authorization
 * code + PKCE flow and gets a signed ID token with iss, aud, exp, nonce, sub, email, email_verified.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface FakeUser {
  sub: string;
  email: string;
  email_verified?: boolean;
  /** Further ID token claims (Entra's oid, preferred_username, xms_edov, …). */
  extra?: Record<string, unknown>;
}

export interface TestOidcProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  user: FakeUser;
  /** How many interactions auto-approved (one per sign-in). */
  interactions: number;
  close(): Promise<void>;
}

export async function startOidcProvider(redirectUris: string[]): Promise<TestOidcProvider> {
  let provider: Provider | undefined;
  const state: TestOidcProvider = {
    issuer: '',
    clientId: 'idsync-test-client',
    clientSecret: 'idsync-test-secret-0123456789abcdef',
    user: { sub: 'google-sub-1', email: 'ada@example.com', email_verified: true },
    interactions: 0,
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const p = provider;
    if (!p) {
      res.statusCode = 503;
      res.end();
      return;
    }
    if (req.url?.startsWith('/interaction/')) {
      void (async () => {
        try {
          const details = await p.interactionDetails(req, res);
          const accountId = state.user.sub;
          const grant = new p.Grant({ accountId, clientId: String(details.params.client_id) });
          grant.addOIDCScope('openid email profile');
          const grantId = await grant.save();
          state.interactions += 1;
          await p.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
        } catch (err) {
          res.statusCode = 500;
          res.end(String(err));
        }
      })();
      return;
    }
    p.callback()(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  provider = new Provider(state.issuer, {
    clients: [{ client_id: state.clientId, client_secret: state.clientSecret, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
    findAccount: (_ctx, id) => ({
      accountId: id,
      claims: () => {
        const { extra, ...user } = state.user;
        return { ...user, ...extra, sub: id };
      },
    }),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username', 'oid', 'tid', 'xms_edov'] },
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['idsync-test-cookie-key'] },
  });
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}
