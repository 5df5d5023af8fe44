import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Organization } from '../../src/domain/model.js';
import { cli, startTestDaemon, tempDir, testEnv } from './harness.js';
import { PostgresTestServer } from './postgres-server.js';
import { RedisTestServer } from './redis-server.js';

/** Stores a daemon fixture can run on. */
export type StoreKind = 'sqlite' | 'redis' | 'postgres';
/**
 * The shared suites run on every backend: SQLite, Redis and PostgreSQL (each a private server the
 * suite starts). IDSYNC_TEST_STORES (comma-separated, e.g. `sqlite` or `redis,postgres`) narrows
 * them while working on one.
 */
export const STORES: StoreKind[] = storesFrom(process.env.IDSYNC_TEST_STORES) ?? ['sqlite', 'redis', 'postgres'];

function storesFrom(list: string | undefined): StoreKind[] | undefined {
  if (!list) return undefined;
  const kinds = list.split(',').map((s) => s.trim());
  const unknown = kinds.filter((k) => !['sqlite', 'redis', 'postgres'].includes(k));
  if (unknown.length > 0) throw new Error(`IDSYNC_TEST_STORES: unknown store ${unknown.join(', ')}`);
  return kinds as StoreKind[];
}

export interface ScimResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

/** A SCIM client speaking to the real daemon the way an IdP does. */
export class ScimClient {
  constructor(
    readonly base: string,
    private readonly token: string,
  ) {}

  async call<T = Record<string, unknown>>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ScimResponse<T>> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body !== undefined ? { 'content-type': 'application/scim+json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as T };
  }
  get<T = Record<string, unknown>>(path: string, headers?: Record<string, string>) {
    return this.call<T>('GET', path, undefined, headers);
  }
  post<T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.call<T>('POST', path, body, headers);
  }
  put<T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.call<T>('PUT', path, body, headers);
  }
  patch<T = Record<string, unknown>>(path: string, body: unknown, headers?: Record<string, string>) {
    return this.call<T>('PATCH', path, body, headers);
  }
  delete(path: string, headers?: Record<string, string>) {
    return this.call('DELETE', path, undefined, headers);
  }
}

export const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

/** A running daemon on the given store, an org with a SCIM token, and helpers. */
export async function scimFixture(kind: StoreKind, extraEnv: Record<string, string> = {}) {
  const cwd = tempDir();
  let redis: RedisTestServer | undefined;
  let postgres: PostgresTestServer | undefined;
  const storeEnv: Record<string, string> = {};
  if (kind === 'redis') {
    redis = await RedisTestServer.start();
    Object.assign(storeEnv, { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') });
  }
  if (kind === 'postgres') {
    postgres = await PostgresTestServer.start();
    Object.assign(storeEnv, { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: postgres.url(), IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') });
  }
  const env = testEnv(join(cwd, 'data'), { IDSYNC_PUBLIC_URL: 'https://idsync.example.com', ...storeEnv, ...extraEnv });
  const daemon = await startTestDaemon(env, cwd);
  const newOrg = async (name: string) => {
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', name, '--json')).json<Organization>();
    const { token } = (await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id, '--json')).json<{ token: string }>();
    return { org, token, scim: new ScimClient(`${daemon.url}/scim/v2`, token) };
  };
  return {
    env,
    cwd,
    daemon,
    newOrg,
    /** The fixture's own PostgreSQL server (postgres kind), for outage tests. */
    postgres,
    async dispose() {
      await daemon.stop();
      await redis?.dispose();
      await postgres?.dispose();
    },
  };
}
