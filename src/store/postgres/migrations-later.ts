import type { PgMigration } from './migrations.js';

/** Versions 11 on (migrations.ts is at the size limit), in version order. */
export const PG_LATER_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 11,
    name: 'cross-organization indexes: member emails and identities, pending invitations by email, invite links by domain',
    // Console sign-in and sign-up find the orgs of a person without walking every org.
    sql: `
      CREATE INDEX member_emails_email ON member_emails (email_key, org_id);
      CREATE INDEX member_identities_subject ON member_identities (provider, subject, org_id);
      CREATE INDEX invitations_pending_email_any_org ON invitations (email_key, org_id) WHERE status = 'pending';
      CREATE TABLE invite_link_domains (
        domain text NOT NULL,
        org_id text NOT NULL,
        link_id text NOT NULL,
        PRIMARY KEY (domain, org_id, link_id)
      );
      CREATE INDEX invite_link_domains_link ON invite_link_domains (link_id);
      INSERT INTO invite_link_domains (domain, org_id, link_id)
        SELECT DISTINCT lower(btrim(d)), l.org_id, l.id
        FROM invite_links l, jsonb_array_elements_text(l.data::jsonb -> 'allowedDomains') AS d
        WHERE btrim(d) <> ''
        ON CONFLICT DO NOTHING;
    `,
  },
  // The latest background audit chain verification of each org: progress and verdict (bookkeeping).
  { version: 12, name: 'audit chain verifications', sql: 'CREATE TABLE audit_verifications (org_id text PRIMARY KEY, data text NOT NULL);' },
];
