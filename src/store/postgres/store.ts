import type pg from 'pg';
import type { Store } from '../../ports/store.js';
import { PostgresCrossOrg } from './cross-org.js';
import { composeStore } from '../shared/compose.js';
import { PostgresAudit } from './audit.js';
import { createPool, mapPgError, migrate, type PostgresConnectionOptions } from './connect.js';
import { PostgresConnections } from './connections.js';
import { PostgresContext } from './context.js';
import { PostgresCredentials } from './credentials.js';
import { PostgresInvitations } from './invitations.js';
import { PostgresLeases } from './leases.js';
import { PostgresMembers } from './members.js';
import { PostgresMerges } from './merges.js';
import { PostgresOrgs } from './orgs.js';
import { PostgresRoleMappings } from './role-mappings.js';
import { PostgresScimLog } from './scim-log.js';
import { PostgresSessions } from './sessions.js';
import { PostgresSignals } from './signals.js';
import { PostgresSupport } from './support.js';
import { PostgresSignup } from './signup.js';
import { PostgresTeams } from './teams.js';
import { PostgresWebhooks } from './webhooks.js';

export type { PostgresConnectionOptions } from './connect.js';

export interface PostgresStoreOptions extends PostgresConnectionOptions {
  now?: () => Date;
}

/** The store and the pool it runs on (the daemon shares the pool with the admin API rate limiter). */
export interface PostgresBackend {
  store: Store;
  pool: pg.Pool;
}

/**
 * PostgreSQL, for any number of replicas: connects, migrates (one replica at a time) and composes
 * one part per area of the port on a shared PostgresContext. A database written by a newer idsync
 * is refused with `store.corrupt`; one that cannot be reached with `store.unavailable`.
 */
export async function connectPostgresStore(opts: PostgresStoreOptions): Promise<PostgresBackend> {
  const pool = createPool(opts);
  const schema = opts.schema ?? 'public';
  try {
    await migrate(pool, schema);
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  const ctx = new PostgresContext(pool, schema, opts.now ?? (() => new Date()));
  let closed: Promise<void> | undefined;
  const store: Store = composeStore(
    new PostgresOrgs(ctx),
    new PostgresMembers(ctx),
    new PostgresTeams(ctx),
    new PostgresInvitations(ctx),
    new PostgresConnections(ctx),
    new PostgresWebhooks(ctx),
    new PostgresCredentials(ctx),
    new PostgresLeases(ctx),
    new PostgresAudit(ctx),
    new PostgresScimLog(ctx),
    new PostgresSessions(ctx),
    new PostgresRoleMappings(ctx),
    new PostgresMerges(ctx),
    new PostgresSignals(ctx),
    new PostgresSupport(ctx),
    new PostgresSignup(ctx),
    new PostgresCrossOrg(ctx),
    {
      async ping(): Promise<void> {
        await ctx.read((sql) => sql.rows('SELECT 1'));
      },
      close(): Promise<void> {
        closed ??= pool.end().catch((err: unknown) => {
          throw mapPgError(err);
        });
        return closed;
      },
    },
  );
  return { store, pool };
}

export async function openPostgresStore(opts: PostgresStoreOptions): Promise<Store> {
  return (await connectPostgresStore(opts)).store;
}
