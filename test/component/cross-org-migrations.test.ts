import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import pg from 'pg';
import type { Store } from '../../src/ports/store.js';
import { aMember, anInvitation, anInviteLink, anOrg, draft, NOW } from '../../src/store/conformance/fixtures.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { tempDir } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';

/** What the cross-org migration adds; dropped again to leave a database as the version before it did. */
const UNDO = `
  DROP INDEX member_emails_email;
  DROP INDEX member_identities_subject;
  DROP INDEX invitations_pending_email_any_org;
  DROP TABLE invite_link_domains;
`;

async function seed(store: Store): Promise<string> {
  const org = anOrg();
  await store.createOrg(org, draft(org.id, 'org.created', org.id));
  await store.createMember(aMember(org.id, { userName: 'ada@acme.example', identities: [{ provider: 'github', subject: '7' }] }), draft(org.id, 'member.created', 'm'));
  await store.createInvitation(anInvitation(org.id, { email: 'new@acme.example' }), draft(org.id, 'invitation.created', 'i'), { pendingCap: 50, now: NOW });
  await store.createInviteLink(anInviteLink(org.id, { allowedDomains: ['Acme.example', 'b.example'] }), draft(org.id, 'link.created', 'l'));
  return org.id;
}

async function expectFound(store: Store, orgId: string): Promise<void> {
  expect(await store.findOrgIdsByMemberEmail('ADA@acme.example')).toEqual([orgId]);
  expect(await store.findOrgIdsByMemberIdentity('github', '7')).toEqual([orgId]);
  expect(await store.findOrgIdsWithPendingInvitationFor('new@acme.example')).toEqual([orgId]);
  expect(await store.findOrgIdsWithInviteLinkDomain('acme.example')).toEqual([orgId]);
  expect(await store.findOrgIdsWithInviteLinkDomain('b.example')).toEqual([orgId]);
}

describe('cross-org index migrations on existing data', () => {
  it('when a SQLite file from before migration 18 is opened, then the migration indexes its members, invitations and the domains of its links', async () => {
    // Arrange: a file with data, then migration 18 undone (what the version before it left).
    const path = join(tempDir(), 'idsync.db');
    const before = openSqliteStore({ path });
    const orgId = await seed(before);
    await before.close();
    const db = new Database(path);
    db.exec(UNDO);
    db.prepare('DELETE FROM schema_migrations WHERE version = 18').run();
    db.close();

    // Act
    const store = openSqliteStore({ path });
    try {
      // Assert
      await expectFound(store, orgId);
    } finally {
      await store.close();
    }
  });

  describe('PostgreSQL', () => {
    let server: PostgresTestServer;
    beforeAll(async () => {
      server = await PostgresTestServer.start();
    }, 60_000);
    afterAll(async () => {
      await server?.dispose();
    });

    it('when a database from before migration 11 is opened, then the migration indexes its members, invitations and the domains of its links', async () => {
      const before = await openPostgresStore({ url: server.url() });
      const orgId = await seed(before);
      await before.close();
      const client = new pg.Client({ connectionString: server.url() });
      await client.connect();
      await client.query(UNDO);
      await client.query('DELETE FROM schema_migrations WHERE version = 11');
      await client.end();

      const store = await openPostgresStore({ url: server.url() });
      try {
        await expectFound(store, orgId);
      } finally {
        await store.close();
      }
    });
  });
});
