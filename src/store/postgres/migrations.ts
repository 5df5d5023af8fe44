import { PG_LATER_MIGRATIONS } from './migrations-later.js';

/**
 * The PostgreSQL schema, in versioned migrations applied in order, each in its own transaction,
 * by one process at a time (connect.ts takes an advisory lock). Never edit a shipped migration:
 * add the next version. Its own numbered list: it does not follow the SQLite migrations.
 *
 * Records are JSON text in `data` (what the store wrote is what it reads back); the columns beside
 * it are the keys the store looks records up by. Times the store compares are epoch milliseconds.
 * `seq` identity columns give creation order; member seqs are taken under the org's write lock, so
 * within an org they also follow commit order (what keyset paging needs).
 */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'initial schema: every area of the store port',
    sql: `
      CREATE TABLE orgs (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        version integer NOT NULL,
        data text NOT NULL
      );

      CREATE TABLE members (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        user_name_key text NOT NULL,
        external_id text,
        status text NOT NULL,
        role text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE UNIQUE INDEX members_live_user_name ON members (org_id, user_name_key) WHERE status <> 'removed';
      CREATE INDEX members_external_id ON members (org_id, external_id) WHERE status <> 'removed' AND external_id IS NOT NULL;
      CREATE INDEX members_org_seq ON members (org_id, seq);
      CREATE INDEX members_org_role_status ON members (org_id, role, status, seq);

      CREATE TABLE member_emails (
        org_id text NOT NULL,
        email_key text NOT NULL,
        member_id text NOT NULL,
        PRIMARY KEY (org_id, email_key, member_id)
      );
      CREATE INDEX member_emails_member ON member_emails (member_id);

      CREATE TABLE member_identities (
        org_id text NOT NULL,
        provider text NOT NULL,
        subject text NOT NULL,
        member_id text NOT NULL,
        PRIMARY KEY (org_id, provider, subject, member_id)
      );
      CREATE INDEX member_identities_member ON member_identities (member_id);

      CREATE TABLE teams (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        name_key text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL,
        CONSTRAINT teams_name UNIQUE (org_id, name_key)
      );
      CREATE INDEX teams_org_seq ON teams (org_id, seq);

      CREATE TABLE team_members (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        org_id text NOT NULL,
        team_id text NOT NULL,
        member_id text NOT NULL,
        UNIQUE (team_id, member_id)
      );
      CREATE INDEX team_members_team_seq ON team_members (org_id, team_id, seq) INCLUDE (member_id);
      CREATE INDEX team_members_member ON team_members (org_id, member_id, seq) INCLUDE (team_id);

      CREATE TABLE audit_events (
        org_id text NOT NULL,
        seq bigint NOT NULL,
        id text NOT NULL UNIQUE,
        hash text NOT NULL,
        data text NOT NULL,
        PRIMARY KEY (org_id, seq)
      );

      CREATE TABLE outbox (
        org_id text NOT NULL,
        seq bigint NOT NULL,
        id text NOT NULL UNIQUE,
        type text NOT NULL,
        created_at text NOT NULL,
        payload text NOT NULL,
        PRIMARY KEY (org_id, seq)
      );

      CREATE TABLE outbox_cursors (
        org_id text NOT NULL,
        consumer text NOT NULL,
        seq bigint NOT NULL,
        PRIMARY KEY (org_id, consumer)
      );

      CREATE TABLE scim_tokens (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        hash text NOT NULL UNIQUE,
        revoked boolean NOT NULL DEFAULT false,
        data text NOT NULL
      );
      CREATE INDEX scim_tokens_org ON scim_tokens (org_id, seq);

      CREATE TABLE admin_keys (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text,
        hash text NOT NULL UNIQUE,
        data text NOT NULL
      );
      CREATE INDEX admin_keys_org ON admin_keys (org_id, seq);

      CREATE TABLE scim_clients (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX scim_clients_org_seq ON scim_clients (org_id, seq);

      CREATE TABLE invitations (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        email_key text NOT NULL,
        status text NOT NULL,
        expires_ms bigint NOT NULL,
        token_hash text NOT NULL UNIQUE,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX invitations_org_seq ON invitations (org_id, seq);
      CREATE INDEX invitations_org_status_seq ON invitations (org_id, status, seq);
      CREATE INDEX invitations_pending_expiry ON invitations (org_id, expires_ms) WHERE status = 'pending';
      CREATE INDEX invitations_pending_email ON invitations (org_id, email_key, expires_ms) WHERE status = 'pending';

      CREATE TABLE invite_links (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX invite_links_org_seq ON invite_links (org_id, seq);

      CREATE TABLE directory_connections (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX directory_connections_org_seq ON directory_connections (org_id, seq);

      CREATE TABLE reconcile_runs (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        connection_id text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX reconcile_runs_connection_seq ON reconcile_runs (connection_id, seq);

      CREATE TABLE webhooks (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX webhooks_org_seq ON webhooks (org_id, seq);

      CREATE TABLE webhook_deliveries (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        org_id text NOT NULL,
        id text NOT NULL,
        endpoint_id text NOT NULL,
        status text NOT NULL,
        next_attempt_ms bigint,
        data text NOT NULL,
        UNIQUE (org_id, id)
      );
      CREATE INDEX webhook_deliveries_org_seq ON webhook_deliveries (org_id, seq);
      CREATE INDEX webhook_deliveries_org_status_seq ON webhook_deliveries (org_id, status, seq);
      CREATE INDEX webhook_deliveries_org_endpoint_seq ON webhook_deliveries (org_id, endpoint_id, seq);
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms, seq) WHERE status = 'pending' AND next_attempt_ms IS NOT NULL;

      -- Leases are claims and replay guards too (notification deliveries, OAuth assertion jti):
      -- the sweep deletes expired ones through leases_expires_at.
      CREATE TABLE leases (
        name text PRIMARY KEY,
        holder text NOT NULL,
        expires_at bigint NOT NULL
      );
      CREATE INDEX leases_expires_at ON leases (expires_at);

      -- Newest-first pages walk scim_log_org_seq backwards; retention by age deletes through scim_log_at.
      CREATE TABLE scim_log (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        org_id text NOT NULL,
        at_ms bigint NOT NULL,
        method text NOT NULL,
        status integer NOT NULL,
        resource_type text,
        data text NOT NULL
      );
      CREATE INDEX scim_log_org_seq ON scim_log (org_id, seq);
      CREATE INDEX scim_log_at ON scim_log (at_ms);

      -- The admin API rate limiter's fixed windows, shared by every replica.
      CREATE TABLE rate_limits (
        key text PRIMARY KEY,
        hits integer NOT NULL,
        reset_ms bigint NOT NULL
      );
      CREATE INDEX rate_limits_reset ON rate_limits (reset_ms);
    `,
  },
  {
    version: 2,
    name: 'console sessions and portal links',
    // Found by the hash of their secret only; the sweep deletes through the expiry indexes. `data`
    // holds the fixed part of a record, the columns what changes (use, expiry, revocation).
    sql: `
      CREATE TABLE console_sessions (
        id_hash text PRIMARY KEY,
        org_id text NOT NULL,
        expires_at bigint NOT NULL,
        idle_expires_at bigint NOT NULL,
        last_seen_at bigint NOT NULL,
        revoked_at bigint,
        data text NOT NULL
      );
      CREATE INDEX console_sessions_idle ON console_sessions (idle_expires_at);

      CREATE TABLE portal_links (
        token_hash text PRIMARY KEY,
        org_id text NOT NULL,
        expires_at bigint NOT NULL,
        used_at bigint,
        data text NOT NULL
      );
      CREATE INDEX portal_links_expires_at ON portal_links (expires_at);
    `,
  },
  {
    version: 3,
    name: 'role mappings',
    // A mapping's id is derived from its source and group: unique per org, not globally.
    sql: `
      CREATE TABLE role_mappings (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL,
        org_id text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL,
        CONSTRAINT role_mappings_org_id UNIQUE (org_id, id)
      );
      CREATE INDEX role_mappings_org_seq ON role_mappings (org_id, seq);
    `,
  },
  {
    version: 4,
    name: 'organization merge journals',
    // One journal per source org; the plan and the applied steps are JSON (bookkeeping, not audited).
    sql: `
      CREATE TABLE org_merges (
        source_org_id text PRIMARY KEY,
        target_org_id text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'shared signals: streams, signing keys, queued SETs',
    // Keys are ordered newest first by (created_at, kid) in byte order (COLLATE "C", as SQLite
    // compares). Push SETs that are due are found through signal_sets_due; delivered and failed
    // ones are kept (their jti stops a repeated fan-out) until the sweep deletes through signal_sets_done.
    sql: `
      CREATE TABLE signal_streams (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        scope text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX signal_streams_scope ON signal_streams (scope, seq);

      CREATE TABLE signal_keys (
        kid text COLLATE "C" PRIMARY KEY,
        created_at text COLLATE "C" NOT NULL,
        data text NOT NULL
      );

      CREATE TABLE signal_sets (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        stream_id text NOT NULL,
        jti text NOT NULL,
        status text NOT NULL,
        next_attempt_ms bigint,
        updated_ms bigint NOT NULL,
        data text NOT NULL,
        UNIQUE (stream_id, jti)
      );
      CREATE INDEX signal_sets_pending ON signal_sets (stream_id, seq) WHERE status = 'pending';
      CREATE INDEX signal_sets_due ON signal_sets (next_attempt_ms, seq) WHERE status = 'pending' AND next_attempt_ms IS NOT NULL;
      CREATE INDEX signal_sets_done ON signal_sets (updated_ms) WHERE status <> 'pending';
    `,
  },
  {
    version: 6,
    name: 'member kinds',
    // Service accounts are members of kind 'service' (absent in the record: a person). The kind is
    // read from the record itself (an expression index, PostgreSQL 11 has no generated columns), so
    // every writer of members rows, the store transfer's included, keeps it right without a column.
    sql: `
      CREATE INDEX members_org_kind_seq ON members (org_id, (coalesce(data::jsonb ->> 'kind', 'person')), seq);
    `,
  },
  {
    version: 7,
    name: 'domain claims and join requests',
    // verified_domain is the domain while the claim is verified and NULL otherwise; its unique
    // constraint (NULLs distinct) keeps two orgs from capturing one domain, across org locks.
    sql: `
      CREATE TABLE domain_claims (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        org_id text NOT NULL,
        domain text NOT NULL,
        verified_domain text,
        version integer NOT NULL,
        data text NOT NULL,
        CONSTRAINT domain_claims_org_domain UNIQUE (org_id, domain),
        CONSTRAINT domain_claims_verified UNIQUE (verified_domain)
      );
      CREATE TABLE join_requests (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL UNIQUE,
        org_id text NOT NULL,
        status text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL
      );
      CREATE INDEX join_requests_org_seq ON join_requests (org_id, seq);
    `,
  },
  {
    version: 8,
    name: 'support access grants and purge receipts',
    // Grants are listed whole per org, newest first. A receipt outlives its org (no org row to check);
    // its org_id is what the purge of one org excludes from "every table with an org_id column".
    sql: `
      CREATE TABLE support_grants (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id text NOT NULL,
        org_id text NOT NULL,
        version integer NOT NULL,
        data text NOT NULL,
        CONSTRAINT support_grants_org_id UNIQUE (org_id, id)
      );
      CREATE TABLE org_purge_receipts (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        org_id text NOT NULL UNIQUE,
        data text NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'console sessions by member',
    // Universal Logout ends one member's sessions: the live ones of the org are found through this index.
    sql: `
      CREATE INDEX console_sessions_member ON console_sessions (org_id, (data::jsonb ->> 'memberId')) WHERE revoked_at IS NULL;
    `,
  },
  ...PG_LATER_MIGRATIONS,
];
