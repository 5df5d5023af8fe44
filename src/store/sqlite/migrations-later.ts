import { SCIM_LOG_TABLE } from './scim-log-schema.js';
import type { Migration } from './migrations.js';

/** Versions 12 on (the first ones are in migrations.ts); applied after them, in this order. */
export const LATER_MIGRATIONS: readonly Migration[] = [
  {
    // 12: versions 10 and 11 were reserved for parallel changes and not used; the runner applies
    // any missing version in order, so the gap is harmless.
    version: 12,
    name: 'shared signals: streams, signing keys, queued SETs',
    sql: `
      CREATE TABLE signal_streams (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        scope TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX signal_streams_scope ON signal_streams (scope, seq);
      CREATE TABLE signal_keys (
        kid TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE signal_sets (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id TEXT NOT NULL,
        jti TEXT NOT NULL,
        status TEXT NOT NULL,
        next_attempt_ms INTEGER,
        data TEXT NOT NULL,
        UNIQUE (stream_id, jti)
      );
      CREATE INDEX signal_sets_pending ON signal_sets (stream_id, status, seq);
      CREATE INDEX signal_sets_due ON signal_sets (status, next_attempt_ms);
    `,
  },
  {
    version: 13,
    name: 'organization merge journals and member kinds',
    // One journal per source org; the plan and the applied steps are JSON (bookkeeping, not audited).
    sql: `
      CREATE TABLE org_merges (
        source_org_id TEXT PRIMARY KEY,
        target_org_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );

      -- Service accounts are members of kind 'service'; lists of people filter them out by this column.
      ALTER TABLE members ADD COLUMN kind TEXT GENERATED ALWAYS AS (coalesce(json_extract(data, '$.kind'), 'person')) VIRTUAL;
      CREATE INDEX members_org_kind_seq ON members (org_id, kind, seq);
    `,
  },
  {
    version: 14,
    name: 'domain claims and join requests',
    // verified_domain is the domain while the claim is verified and NULL otherwise: its UNIQUE index
    // (NULLs are distinct) is what keeps two orgs from capturing one domain.
    sql: `
      CREATE TABLE domain_claims (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        org_id TEXT NOT NULL,
        domain TEXT NOT NULL,
        verified_domain TEXT UNIQUE,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (org_id, domain)
      );
      CREATE TABLE join_requests (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        org_id TEXT NOT NULL,
        status TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      );
      CREATE INDEX join_requests_org_seq ON join_requests (org_id, seq);
    `,
  },
  {
    version: 15,
    name: 'support access grants and purge receipts',
    // Grants are listed whole per org, newest first. A receipt outlives its org (no org row to check);
    // its org_id is what the purge of one org excludes from "every table with an org_id column".
    sql: `
      CREATE TABLE support_grants (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL,
        org_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (org_id, id)
      );
      CREATE TABLE org_purge_receipts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        org_id TEXT NOT NULL UNIQUE,
        data TEXT NOT NULL
      );
    `,
  },
  {
    version: 17,
    name: 'console sessions by org',
    // Universal Logout ends one member's sessions: they are found among the org's sessions, not by a scan of every org's.
    sql: `
      CREATE INDEX console_sessions_org ON console_sessions (org_id);
    `,
  },
  {
    version: 18,
    name: 'cross-organization indexes: member emails and identities, pending invitations by email, invite links by domain',
    // Console sign-in and sign-up find the orgs of a person without walking every org: indexes on the
    // existing lookup tables keyed by the value first, and a table of the invite links' allowed domains.
    sql: `
      CREATE INDEX member_emails_email ON member_emails (email_key, org_id);
      CREATE INDEX member_identities_subject ON member_identities (provider, subject, org_id);
      CREATE INDEX invitations_pending_email_any_org ON invitations (email_key, org_id) WHERE status = 'pending';
      CREATE TABLE invite_link_domains (
        domain TEXT NOT NULL,
        org_id TEXT NOT NULL,
        link_id TEXT NOT NULL,
        PRIMARY KEY (domain, org_id, link_id)
      ) WITHOUT ROWID;
      CREATE INDEX invite_link_domains_link ON invite_link_domains (link_id);
      INSERT OR IGNORE INTO invite_link_domains (domain, org_id, link_id)
        SELECT lower(trim(d.value)), l.org_id, l.id
        FROM invite_links l, json_each(l.data, '$.allowedDomains') d
        WHERE trim(d.value) <> '';
    `,
  },
  {
    version: 19,
    name: 'audit chain verifications',
    // One row per org: the latest background verification, its progress and verdict (bookkeeping).
    sql: `
      CREATE TABLE audit_verifications (
        org_id TEXT PRIMARY KEY,
        data TEXT NOT NULL
      );
    `,
  },
  {
    version: 20,
    name: 'SCIM request log in a file of its own',
    // The log's rows move to their own file (scim-log-schema.ts), which a writer thread appends to;
    // cursors (seq) start afresh there.
    attachScimLog: true,
    sql: `
      ${SCIM_LOG_TABLE('scimlog.')}
      INSERT INTO scimlog.scim_log (org_id, at_ms, method, status, resource_type, data)
        SELECT org_id, at_ms, method, status, resource_type, data FROM main.scim_log ORDER BY seq;
      DROP TABLE main.scim_log;
    `,
  },
];
