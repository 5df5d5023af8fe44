import type { Store } from '../../ports/store.js';
import { composeStore } from '../shared/compose.js';
import { RedisAudit } from './audit.js';
import { DEFAULT_COMMAND_TIMEOUT_MS, DEFAULT_CONNECT_TIMEOUT_MS, createRedisClient, type RedisClient, type RedisConnectionOptions } from './client.js';
import { RedisConnections } from './connections.js';
import { RedisContext } from './context.js';
import { RedisCredentials } from './credentials.js';
import { RedisCrossOrg } from './cross-org.js';
import { RedisInvitations } from './invitations.js';
import { redisKeys } from './keys.js';
import { RedisLeases } from './leases.js';
import { RedisMembers } from './members.js';
import { RedisMerges } from './merges.js';
import { RedisOrgs } from './orgs.js';
import { RedisRoleMappings } from './role-mappings.js';
import { RedisScimLog } from './scim-log.js';
import { RedisScripts } from './scripts.js';
import { RedisSessions } from './sessions.js';
import { RedisSignals } from './signals.js';
import { RedisSupport } from './support.js';
import { RedisSignup } from './signup.js';
import { RedisTeams } from './teams.js';
import { RedisWebhooks } from './webhooks.js';

export type RedisStoreOptions = (
  | { client: RedisClient; connection?: never; /** Close the client with the store. Default false. */ ownsClient?: boolean }
  | { connection: RedisConnectionOptions; client?: never; ownsClient?: never }
) & {
  /** Key namespace (keys.ts). Default: `connection.keyPrefix`, else `idsync`. */
  keyPrefix?: string;
  now?: () => Date;
  /** How long the first call waits for the initial connection. */
  connectTimeoutMs?: number;
  /** How long a write waits for earlier writes of its org in this process. Default: twice the command timeout. */
  lockWaitMs?: number;
};

/**
 * The replicated store: every atomic change is one Lua script over keys of one org's hash tag (the
 * change, one audit event and one outbox record). The audit hash is computed here, so each script
 * compares the chain head it was built on and reports `head_moved` when another process appended
 * first; the write is then rebuilt from fresh reads. Writes of one org are serialised in-process.
 * One part per area of the port, all sharing one RedisContext (client, keys, scripts, write loop).
 *
 * A client passed in stays open on close() unless `ownsClient`; one built from `connection` is closed
 * with the store.
 */
export function createRedisStore(opts: RedisStoreOptions): Store {
  const client = opts.client ?? createRedisClient(opts.connection!);
  const keys = redisKeys(opts.keyPrefix ?? opts.connection?.keyPrefix);
  const connectTimeoutMs = opts.connectTimeoutMs ?? opts.connection?.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const lockWaitMs = opts.lockWaitMs ?? 2 * (opts.connection?.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS);
  const ctx = new RedisContext(client, keys, new RedisScripts(client), opts.now ?? (() => new Date()), connectTimeoutMs, lockWaitMs);
  const ownsClient = opts.client === undefined || opts.ownsClient === true;
  const store: Store = composeStore(
    new RedisOrgs(ctx),
    new RedisMembers(ctx),
    new RedisTeams(ctx),
    new RedisInvitations(ctx),
    new RedisConnections(ctx),
    new RedisWebhooks(ctx),
    new RedisCredentials(ctx),
    new RedisLeases(ctx),
    new RedisAudit(ctx),
    new RedisScimLog(ctx),
    new RedisSessions(ctx),
    new RedisRoleMappings(ctx),
    new RedisMerges(ctx),
    new RedisSignals(ctx),
    new RedisSupport(ctx),
    new RedisSignup(ctx),
    new RedisCrossOrg(ctx),
    {
      async ping(): Promise<void> {
        await ctx.call((c) => c.ping());
      },
      async close(): Promise<void> {
        if (!ownsClient || client.status === 'end') return;
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      },
    },
  );
  return store;
}
