import type { Store } from '../../ports/store.js';
import { SqliteCrossOrg } from './cross-org.js';
import { composeStore } from '../shared/compose.js';
import { SqliteAudit } from './audit.js';
import { SqliteConnections } from './connections.js';
import { SqliteContext, type SqliteStoreOptions } from './context.js';
import { SqliteCredentials } from './credentials.js';
import { SqliteInvitations } from './invitations.js';
import { SqliteLeases } from './leases.js';
import { SqliteMembers } from './members.js';
import { SqliteMerges } from './merges.js';
import { SqliteOrgs } from './orgs.js';
import { SqliteRoleMappings } from './role-mappings.js';
import { SqliteScimLog } from './scim-log.js';
import { SqliteSessions } from './sessions.js';
import { SqliteSignals } from './signals.js';
import { SqliteSupport } from './support.js';
import { SqliteSignup } from './signup.js';
import { SqliteTeams } from './teams.js';
import { SqliteWebhooks } from './webhooks.js';

export type { SqliteStoreOptions } from './context.js';

/**
 * The embedded store: one SQLite file in WAL mode (or `:memory:`), opened and migrated here, with
 * one part per area of the port sharing one SqliteContext.
 */
export function openSqliteStore(opts: SqliteStoreOptions): Store {
  const ctx = new SqliteContext(opts);
  const scimLog = new SqliteScimLog(ctx);
  const store: Store = composeStore(
    new SqliteOrgs(ctx),
    new SqliteMembers(ctx),
    new SqliteTeams(ctx),
    new SqliteInvitations(ctx),
    new SqliteConnections(ctx),
    new SqliteWebhooks(ctx),
    new SqliteCredentials(ctx),
    new SqliteLeases(ctx),
    new SqliteAudit(ctx),
    scimLog,
    new SqliteSessions(ctx),
    new SqliteRoleMappings(ctx),
    new SqliteMerges(ctx),
    new SqliteSignals(ctx),
    new SqliteSupport(ctx, scimLog),
    new SqliteSignup(ctx),
    new SqliteCrossOrg(ctx),
    {
      async ping(): Promise<void> {
        ctx.run(() => ctx.stmt('SELECT 1').get());
      },
      async close(): Promise<void> {
        await scimLog.closeScimLog();
        ctx.close();
      },
    },
  );
  return store;
}
