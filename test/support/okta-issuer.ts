import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

type Key = { kid: string; privateKey: CryptoKey; jwk: JWK };

async function newKey(kid: string): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
}

export interface LogoutClaims {
  aud: string;
  iss?: string;
  /** Seconds from now (negative: in the past). */
  expIn?: number;
  iatIn?: number;
  jti?: string;
  /** Sign with this published key (default the newest), or with a key nobody published. */
  kid?: string;
  unpublished?: boolean;
}

/**
 * A local identity provider that calls Universal Logout the way Okta does: RS256 JWTs signed with
 * keys published as a JWKS at /oauth2/v1/keys over HTTP on 127.0.0.1 (Okta's org keys path).
 * It counts JWKS fetches and rotates keys on demand.
 */
export async function localIssuer() {
  let keys: Key[] = [await newKey('k1')];
  const stranger = await newKey('k1');
  let fetches = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/oauth2/v1/keys') return void res.writeHead(404).end();
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    jwksUri: `${url}/oauth2/v1/keys`,
    fetches: () => fetches,
    /** Publishes a new key (and keeps the old ones); tokens are signed with it from now on. */
    rotate: async (kid: string) => {
      keys = [await newKey(kid), ...keys];
    },
    async sign(c: LogoutClaims): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      const key = c.unpublished ? stranger : (keys.find((k) => k.kid === c.kid) ?? keys[0]!);
      return new SignJWT({})
        .setProtectedHeader({ alg: 'RS256', kid: c.kid ?? key.kid })
        .setIssuer(c.iss ?? url)
        .setSubject('0oa-universal-logout-app')
        .setAudience(c.aud)
        .setIssuedAt(now + (c.iatIn ?? 0))
        .setExpirationTime(now + (c.expIn ?? 300))
        .setJti(c.jti ?? randomUUID())
        .sign(key.privateKey);
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
