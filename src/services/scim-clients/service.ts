import { createPublicKey, randomBytes, randomUUID } from 'node:crypto';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor, AuditDraft, ScimClient, ScimClientSecret } from '../../domain/model.js';
import { hashSecret } from '../secret-hash.js';
import type { ServiceDeps } from '../deps.js';

/** Two live secrets per client: the new one and the one the IdP still holds, as with SCIM tokens. */
export const MAX_LIVE_CLIENT_SECRETS = 2;
export const DEFAULT_SECRET_TTL_DAYS = 365;
const DAY_MS = 86_400_000;

export const CLIENT_ID_PREFIX = 'idsc_';
export const CLIENT_SECRET_PREFIX = 'idsync_scs_';

export type PublicScimClientSecret = Omit<ScimClientSecret, 'hash'>;
export type PublicScimClient = Omit<ScimClient, 'secrets'> & { secrets: PublicScimClientSecret[] };

export const publicClient = (c: ScimClient): PublicScimClient => ({ ...c, secrets: c.secrets.map(({ hash: _h, ...s }) => s) });

/** A secret is live while neither it nor its expiry has passed. */
export const isLiveSecret = (s: ScimClientSecret, now: Date): boolean => s.revokedAt === undefined && Date.parse(s.expiresAt) > now.getTime();

export interface CreateScimClient {
  label?: string;
  /** SPKI PEM of the key the client signs its assertions with (RFC 7523 `private_key_jwt`). */
  publicKeyPem?: string;
  jwksUrl?: string;
  secretTtlDays?: number;
}

export interface IssuedSecret {
  clientId: string;
  /** Shown once; only its SHA-256 is stored. */
  clientSecret: string;
  /** Where the client asks for access tokens. */
  tokenUrl: string;
}

/**
 * The management side of SCIM OAuth clients: create, list, rotate, revoke. Each change is one store
 * update with its audit event. Token issue and verification live in oauth.ts.
 */
export class ScimClientService {
  constructor(
    private readonly deps: ServiceDeps,
    readonly tokenUrl: string,
  ) {}

  async create(orgId: string, actor: Actor, opts: CreateScimClient = {}): Promise<IssuedSecret & { client: PublicScimClient }> {
    const keys = validateKeys(opts);
    const now = this.deps.clock.now();
    const { secret, record } = mintSecret(now, opts.secretTtlDays);
    const client: ScimClient = {
      id: `${CLIENT_ID_PREFIX}${randomBytes(16).toString('base64url')}`,
      orgId,
      ...(opts.label ? { label: opts.label } : {}),
      secrets: [record],
      ...keys,
      createdAt: now.toISOString(),
      version: 1,
    };
    await this.deps.store.createScimClient(client, {
      orgId,
      actor,
      action: 'scim_client.created',
      target: { type: 'scim_client', id: client.id },
      after: { label: opts.label, secretId: record.id, secretExpiresAt: record.expiresAt, publicKey: keys.publicKeyPem !== undefined, jwksUrl: keys.jwksUrl },
    });
    return { clientId: client.id, clientSecret: secret, tokenUrl: this.tokenUrl, client: publicClient(client) };
  }

  async list(orgId: string): Promise<PublicScimClient[]> {
    return (await this.deps.store.listScimClients(orgId)).map(publicClient);
  }

  async get(orgId: string, clientId: string): Promise<PublicScimClient> {
    return publicClient(await this.#get(orgId, clientId));
  }

  /** Adds a second live secret; the old one keeps working until it is revoked (or expires). */
  async rotate(orgId: string, clientId: string, actor: Actor, secretTtlDays?: number): Promise<IssuedSecret & { client: PublicScimClient; secretId: string }> {
    await this.#get(orgId, clientId);
    const now = this.deps.clock.now();
    const { secret, record } = mintSecret(now, secretTtlDays);
    const r = await this.deps.store.updateScimClient(clientId, (c) => {
      if (c.revokedAt) throw new IdsyncError('token.not_found', `SCIM client ${clientId} is revoked`, { clientId });
      const live = c.secrets.filter((s) => isLiveSecret(s, now)).length;
      if (live >= MAX_LIVE_CLIENT_SECRETS) {
        throw new IdsyncError('token.limit_reached', `SCIM client ${clientId} already has ${live} live secrets; revoke one first`, { live });
      }
      return { next: { ...c, secrets: [...c.secrets, record] }, audit: this.#audit(c, actor, 'scim_client.secret_added', { secretId: record.id, secretExpiresAt: record.expiresAt }) };
    });
    return { clientId, clientSecret: secret, tokenUrl: this.tokenUrl, secretId: record.id, client: publicClient(r.record) };
  }

  /** Access tokens issued with this secret are refused from the next request (see oauth.ts). */
  async revokeSecret(orgId: string, clientId: string, secretId: string, actor: Actor): Promise<PublicScimClient> {
    const current = await this.#get(orgId, clientId);
    if (!current.secrets.some((s) => s.id === secretId)) throw new IdsyncError('token.not_found', `SCIM client ${clientId} has no secret ${secretId}`, { clientId, secretId });
    const at = this.deps.clock.now().toISOString();
    const r = await this.deps.store.updateScimClient(clientId, (c) => {
      const target = c.secrets.find((s) => s.id === secretId);
      if (!target || target.revokedAt) return null;
      const secrets = c.secrets.map((s) => (s.id === secretId ? { ...s, revokedAt: at } : s));
      return { next: { ...c, secrets }, audit: this.#audit(c, actor, 'scim_client.secret_revoked', { secretId }) };
    });
    return publicClient(r.record);
  }

  /** The client and every access token it holds stop working at once. */
  async revoke(orgId: string, clientId: string, actor: Actor): Promise<PublicScimClient> {
    await this.#get(orgId, clientId);
    const at = this.deps.clock.now().toISOString();
    const r = await this.deps.store.updateScimClient(clientId, (c) =>
      c.revokedAt ? null : { next: { ...c, revokedAt: at }, audit: this.#audit(c, actor, 'scim_client.revoked', {}) },
    );
    return publicClient(r.record);
  }

  async #get(orgId: string, clientId: string): Promise<ScimClient> {
    const c = await this.deps.store.getScimClient(clientId);
    // Another org's client is reported as missing, so an admin of one org learns nothing of others.
    if (!c || c.orgId !== orgId) throw new IdsyncError('token.not_found', `SCIM client ${clientId} not found`, { clientId });
    return c;
  }

  #audit(c: ScimClient, actor: Actor, action: string, after: Record<string, unknown>): AuditDraft {
    return { orgId: c.orgId, actor, action, target: { type: 'scim_client', id: c.id }, after };
  }
}

function mintSecret(now: Date, ttlDays = DEFAULT_SECRET_TTL_DAYS): { secret: string; record: ScimClientSecret } {
  if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 3 * DEFAULT_SECRET_TTL_DAYS) {
    throw new IdsyncError('request.invalid', `secret lifetime must be 1 to ${3 * DEFAULT_SECRET_TTL_DAYS} days`, { secretTtlDays: ttlDays });
  }
  const secret = `${CLIENT_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
  return {
    secret,
    record: {
      id: randomUUID(),
      prefix: secret.slice(0, CLIENT_SECRET_PREFIX.length + 4),
      hash: hashSecret(secret),
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ttlDays * DAY_MS).toISOString(),
    },
  };
}

/** A key that does not parse, or a JWKS URL that is not https, is refused when the client is made, not at its first token request. */
function validateKeys(opts: CreateScimClient): Pick<ScimClient, 'publicKeyPem' | 'jwksUrl'> {
  if (opts.publicKeyPem !== undefined && opts.jwksUrl !== undefined) {
    throw new IdsyncError('request.invalid', 'give a public key or a JWKS URL, not both');
  }
  if (opts.publicKeyPem !== undefined) {
    try {
      createPublicKey(opts.publicKeyPem);
    } catch {
      throw new IdsyncError('request.invalid', 'the public key is not a PEM public key (SPKI) or certificate');
    }
    return { publicKeyPem: opts.publicKeyPem };
  }
  if (opts.jwksUrl !== undefined) {
    assertJwksUrl(opts.jwksUrl);
    return { jwksUrl: opts.jwksUrl };
  }
  return {};
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** JWKS over https only: a key set fetched in clear could be swapped. Loopback http is for tests and local setups. */
export function assertJwksUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new IdsyncError('request.invalid', `JWKS URL ${raw} is not a URL`);
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return url;
  throw new IdsyncError('request.invalid', 'the JWKS URL must use https (http only on a loopback address)');
}
