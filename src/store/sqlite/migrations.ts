import { LATER_MIGRATIONS } from './migrations-later.js';

/**
 * Versioned schema migrations, applied in order inside one transaction each. Never edit a shipped
 * migration: add the next version.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Run with the SCIM request log's file attached as schema `scimlog` (scim-log-schema.ts scimLogPath). */
  attachScimLog?: true;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE orgs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );

      CREATE TABLE members (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        user_name_key TEXT NOT NULL,
        external_id TEXT,
        status TEXT NOT NULL,
        role TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE UNIQUE INDEX members_live_user_name ON members (org_id, user_name_key) WHERE status <> 'removed';
      CREATE INDEX members_external_id ON members (org_id, external_id) WHERE status <> 'removed' AND external_id IS NOT NULL;
      CREATE INDEX members_org_seq ON members (org_id, seq);
      CREATE INDEX members_org_role_status ON members (org_id, role, status);

      CREATE TABLE member_emails (
        org_id TEXT NOT NULL,
        email_key TEXT NOT NULL,
        member_id TEXT NOT NULL,
        PRIMARY KEY (org_id, email_key, member_id)
      ) WITHOUT ROWID;
      CREATE INDEX member_emails_member ON member_emails (member_id);

      CREATE TABLE teams (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        name_key TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE UNIQUE INDEX teams_name ON teams (org_id, name_key);
      CREATE INDEX teams_org_seq ON teams (org_id, seq);

      CREATE TABLE team_members (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        org_id TEXT NOT NULL,
        team_id TEXT NOT NULL,
        member_id TEXT NOT NULL
      );
      CREATE UNIQUE INDEX team_members_pair ON team_members (team_id, member_id);
      CREATE INDEX team_members_member ON team_members (org_id, member_id);

      CREATE TABLE audit_events (
        org_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (org_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE outbox (
        org_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        created_at TEXT NOT NULL,
        payload TEXT NOT NULL,
        PRIMARY KEY (org_id, seq)
      ) WITHOUT ROWID;

      CREATE TABLE scim_tokens (
        id TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        revoked INTEGER NOT NULL DEFAULT 0,
        data TEXT NOT NULL
      );
      CREATE INDEX scim_tokens_org ON scim_tokens (org_id);

      CREATE TABLE admin_keys (
        id TEXT PRIMARY KEY,
        org_id TEXT,
        hash TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL
      );
      CREATE INDEX admin_keys_org ON admin_keys (org_id);
    `,
  },
  {
    version: 2,
    name: 'invitations, invite links, member identities, directory connections, reconcile runs, webhooks',
    sql: `
      -- Times that the store compares (expiry, next delivery attempt) are kept as epoch milliseconds,
      -- so the comparison does not depend on how an ISO string was written.
      CREATE TABLE invitations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        email_key TEXT NOT NULL,
        status TEXT NOT NULL,
        expires_ms INTEGER NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX invitations_org_seq ON invitations (org_id, seq);
      CREATE INDEX invitations_org_status_seq ON invitations (org_id, status, seq);
      CREATE INDEX invitations_pending_expiry ON invitations (org_id, expires_ms) WHERE status = 'pending';
      CREATE INDEX invitations_pending_email ON invitations (org_id, email_key, expires_ms) WHERE status = 'pending';

      CREATE TABLE invite_links (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX invite_links_org_seq ON invite_links (org_id, seq);

      -- Upstream identities of live members (Member.identities), kept in step by createMember/updateMember.
      CREATE TABLE member_identities (
        org_id TEXT NOT NULL,
        provider TEXT NOT NULL,
        subject TEXT NOT NULL,
        member_id TEXT NOT NULL,
        PRIMARY KEY (org_id, provider, subject, member_id)
      ) WITHOUT ROWID;
      CREATE INDEX member_identities_member ON member_identities (member_id);
      INSERT OR IGNORE INTO member_identities (org_id, provider, subject, member_id)
        SELECT m.org_id, json_extract(i.value, '$.provider'), json_extract(i.value, '$.subject'), m.id
        FROM members m, json_each(m.data, '$.identities') i
        WHERE m.status <> 'removed'
          AND json_extract(i.value, '$.provider') IS NOT NULL
          AND json_extract(i.value, '$.subject') IS NOT NULL;

      CREATE TABLE directory_connections (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX directory_connections_org_seq ON directory_connections (org_id, seq);

      CREATE TABLE reconcile_runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        connection_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX reconcile_runs_connection_seq ON reconcile_runs (connection_id, seq);

      CREATE TABLE webhooks (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX webhooks_org_seq ON webhooks (org_id, seq);

      CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        org_id TEXT NOT NULL,
        id TEXT NOT NULL,
        endpoint_id TEXT NOT NULL,
        status TEXT NOT NULL,
        next_attempt_ms INTEGER,
        data TEXT NOT NULL,
        UNIQUE (org_id, id)
      );
      CREATE INDEX webhook_deliveries_org_seq ON webhook_deliveries (org_id, seq);
      CREATE INDEX webhook_deliveries_org_status_seq ON webhook_deliveries (org_id, status, seq);
      CREATE INDEX webhook_deliveries_org_endpoint_seq ON webhook_deliveries (org_id, endpoint_id, seq);
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms) WHERE status = 'pending' AND next_attempt_ms IS NOT NULL;

      CREATE TABLE outbox_cursors (
        org_id TEXT NOT NULL,
        consumer TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (org_id, consumer)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'leases for scheduled work',
    sql: `
      CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        holder TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'covering indexes for team member listings',
    // listTeamMembers pages by (org, team) in seq order; without this SQLite walked the org's whole
    // membership through team_members_member and sorted it (150 ms per page at 50,000 members).
    // listMemberTeams (every SCIM User answer with groups) is answered from its index alone.
    sql: `
      CREATE INDEX team_members_team_seq ON team_members (org_id, team_id, seq, member_id);
      DROP INDEX team_members_member;
      CREATE INDEX team_members_member ON team_members (org_id, member_id, seq, team_id);
    `,
  },
  {
    version: 5,
    name: 'SCIM request log',
    // Newest-first pages walk scim_log_org_seq backwards; retention by age deletes through
    // scim_log_at across every org at once. AUTOINCREMENT: a cursor (seq) is never reused.
    sql: `
      CREATE TABLE scim_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        org_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        method TEXT NOT NULL,
        status INTEGER NOT NULL,
        resource_type TEXT,
        data TEXT NOT NULL
      );
      CREATE INDEX scim_log_org_seq ON scim_log (org_id, seq);
      CREATE INDEX scim_log_at ON scim_log (at_ms);
    `,
  },
  {
    version: 6,
    name: 'SCIM OAuth clients',
    sql: `
      CREATE TABLE scim_clients (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX scim_clients_org_seq ON scim_clients (org_id, seq);
    `,
  },
  {
    version: 7,
    name: 'lease expiry index',
    // Leases are claims and replay guards as well (notifications, OAuth assertions): the sweep
    // deletes expired ones through this index instead of reading the table.
    sql: `
      CREATE INDEX leases_expires_at ON leases (expires_at);
    `,
  },
  {
    version: 8,
    name: 'console sessions and portal links',
    // Found by the hash of their secret only; the sweep deletes through the expiry indexes. `data`
    // holds the fixed part of a record, the columns what changes (use, expiry, revocation).
    sql: `
      CREATE TABLE console_sessions (
        id_hash TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        idle_expires_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        revoked_at INTEGER,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX console_sessions_idle ON console_sessions (idle_expires_at);
      CREATE TABLE portal_links (
        token_hash TEXT PRIMARY KEY,
        org_id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER,
        data TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX portal_links_expires_at ON portal_links (expires_at);
    `,
  },
  {
    version: 9,
    name: 'role mappings',
    // One row per (org, group): the id is derived from the mapping's source and group, so it is
    // unique per org rather than globally. Listed whole, in creation order.
    sql: `
      CREATE TABLE role_mappings (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE UNIQUE INDEX role_mappings_org_id ON role_mappings (org_id, id);
      CREATE INDEX role_mappings_org_seq ON role_mappings (org_id, seq);
    `,
  },
  ...LATER_MIGRATIONS,
];
