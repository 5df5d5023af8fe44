/**
 * Client-credentials grant through openid-client 6: a client secret, or a certificate
 * (private_key_jwt) whose assertion has `aud` = the token endpoint and `x5t` (SHA-1) or `x5t#S256`
 * from the thumbprint, as Microsoft documents (DIRECTORY-APIS.md §2.5). Token requests go through
 * the shared HTTP client (counted, retried on 429/5xx, bounded by the run deadline).
 */
import { createPrivateKey } from 'node:crypto';
import * as oidc from 'openid-client';
import { importPKCS8 } from 'jose';
import type { IdsyncError } from '../../domain/errors.js';
import type { HttpClient } from '../http/client.js';
import { connectorError, findIdsyncError } from '../http/errors.js';
import type { IssuedToken } from '../http/token-cache.js';
import { defaultVerdict, type Classifier } from '../http/verdict.js';
import { graphScope, tokenEndpoint, type MicrosoftConfig } from './config.js';

/** OAuth error bodies are openid-client's to read; only 429 and 5xx are retried here. */
const passOAuthErrors: Classifier = (res, ctx) =>
  res.status === 429 || res.status >= 500 ? defaultVerdict('microsoft', res, ctx, {}) : { kind: 'ok' };

const ASSERTION_LIFETIME_S = 300;

async function clientAuth(config: MicrosoftConfig): Promise<oidc.ClientAuth> {
  if (config.clientSecret !== undefined) return oidc.ClientSecretPost(config.clientSecret);
  const cert = config.certificate!;
  const sha256 = cert.thumbprint.length === 64;
  let key;
  try {
    const pem = /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+?-----END (RSA )?PRIVATE KEY-----/.exec(cert.privateKey)![0];
    const pkcs8 = createPrivateKey(pem).export({ format: 'pem', type: 'pkcs8' }).toString();
    key = await importPKCS8(pkcs8, sha256 ? 'PS256' : 'RS256');
  } catch (err) {
    throw connectorError('connector.invalid_config', 'microsoft.certificate.privateKey: cannot be read as an RSA private key', { provider: 'microsoft', op: 'token' }, err);
  }
  const thumb = Buffer.from(cert.thumbprint, 'hex').toString('base64url');
  const endpoint = tokenEndpoint(config);
  return oidc.PrivateKeyJwt(key, {
    [oidc.modifyAssertion]: (header, payload) => {
      header.typ = 'JWT';
      if (sha256) header['x5t#S256'] = thumb;
      else header.x5t = thumb;
      payload.aud = endpoint;
      payload.exp = Number(payload.iat) + ASSERTION_LIFETIME_S;
    },
  });
}

export function microsoftTokenIssuer(client: HttpClient, config: MicrosoftConfig): (signal?: AbortSignal) => Promise<IssuedToken> {
  let oidcConfig: Promise<oidc.Configuration> | undefined;
  const build = async () => {
    const endpoint = tokenEndpoint(config);
    const server: oidc.ServerMetadata = { issuer: `${config.authorityHost}/${config.tenantId}/v2.0`, token_endpoint: endpoint };
    const c = new oidc.Configuration(server, config.clientId, undefined, await clientAuth(config));
    if (endpoint.startsWith('http:')) oidc.allowInsecureRequests(c);
    return c;
  };
  return async (signal) => {
    oidcConfig ??= build();
    const c = await oidcConfig;
    c[oidc.customFetch] = async (url, options) => {
      const res = await client.send({
        op: 'token',
        url,
        method: 'POST',
        headers: options.headers,
        body: String(options.body),
        isAuth: true,
        signal,
        classify: passOAuthErrors,
      });
      return new Response(res.text, { status: res.status, headers: res.headers });
    };
    try {
      const t = await oidc.clientCredentialsGrant(c, { scope: graphScope(config) });
      return { value: t.access_token, lifetimeMs: (t.expires_in ?? 3599) * 1000 };
    } catch (err) {
      throw mapTokenError(err, config);
    }
  };
}

/** AADSTS codes (DIRECTORY-APIS.md §2.5) → what the admin has to fix. */
export function mapTokenError(err: unknown, config: MicrosoftConfig): IdsyncError {
  const coded = findIdsyncError(err);
  if (coded) return coded;
  const where = { provider: 'microsoft' as const, op: 'token' };
  if (err instanceof oidc.ResponseBodyError) {
    const description = (err.error_description ?? '').split(/\r?\n/)[0] ?? '';
    const aadsts = /AADSTS(\d+)/.exec(description)?.[1];
    const details = { ...where, status: err.status, upstreamCode: aadsts ? `AADSTS${aadsts}` : err.error };
    const said = `${err.error}: ${description}`.trim();
    if (aadsts === '90002' || aadsts === '900023' || aadsts === '90023' || /tenant .*not found/i.test(description)) {
      return connectorError('connector.not_found', `tenant ${config.tenantId} not found (${said})`, details);
    }
    if (aadsts === '700016') {
      return connectorError('connector.auth_failed', `application ${config.clientId} is not known in tenant ${config.tenantId} (${said})`, details);
    }
    if (err.error === 'invalid_scope' || aadsts === '70011' || aadsts === '1002012') {
      return connectorError('connector.forbidden', `scope ${graphScope(config)} was refused (${said})`, details);
    }
    return connectorError('connector.auth_failed', `the token endpoint refused the client credentials (${said})`, details);
  }
  const message = err instanceof Error ? err.message : String(err);
  return connectorError('connector.upstream_error', `token request failed: ${message}`, where, err);
}
