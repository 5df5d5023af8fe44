import { emailKey, linkDomainKeys } from '../../domain/keys.js';
import type { InviteLink } from '../../domain/model.js';
import type { CrossOrgIndexStore } from '../../ports/store.js';
import type { SqliteContext } from './context.js';

type OrgRow = { org_id: string };
const ids = (rows: unknown[]) => (rows as OrgRow[]).map((r) => r.org_id);

/**
 * Cross-organization lookups over the per-org lookup tables, through indexes keyed by the value
 * first (migration 18). Exact here (SQLite keeps the tables in the write's transaction), which the
 * port's candidate contract allows.
 */
export class SqliteCrossOrg implements CrossOrgIndexStore {
  constructor(private readonly ctx: SqliteContext) {}

  async findOrgIdsByMemberIdentity(provider: string, subject: string): Promise<string[]> {
    return this.ctx.run(() => ids(this.ctx.stmt('SELECT DISTINCT org_id FROM member_identities WHERE provider = ? AND subject = ?').all(provider, subject)));
  }

  async findOrgIdsByMemberEmail(email: string): Promise<string[]> {
    return this.ctx.run(() =>
      ids(
        this.ctx
          .stmt(`SELECT DISTINCT e.org_id FROM member_emails e JOIN members m ON m.id = e.member_id WHERE e.email_key = ? AND m.status <> 'removed'`)
          .all(emailKey(email)),
      ),
    );
  }

  async findOrgIdsWithPendingInvitationFor(email: string): Promise<string[]> {
    return this.ctx.run(() => ids(this.ctx.stmt(`SELECT DISTINCT org_id FROM invitations WHERE email_key = ? AND status = 'pending'`).all(emailKey(email))));
  }

  async findOrgIdsWithInviteLinkDomain(domain: string): Promise<string[]> {
    const key = linkDomainKeys([domain])[0];
    if (key === undefined) return [];
    return this.ctx.run(() => ids(this.ctx.stmt('SELECT DISTINCT org_id FROM invite_link_domains WHERE domain = ?').all(key)));
  }

  async findOrgIdsByMemberId(memberId: string): Promise<string[]> {
    return this.ctx.run(() => ids(this.ctx.stmt('SELECT org_id FROM members WHERE id = ?').all(memberId)));
  }
}

/** Writes the link's rows in invite_link_domains (inside the caller's transaction), replacing any it had. */
export function writeLinkDomains(ctx: SqliteContext, link: InviteLink, fresh: boolean): void {
  if (!fresh) ctx.stmt('DELETE FROM invite_link_domains WHERE link_id = ?').run(link.id);
  const insert = ctx.stmt('INSERT OR IGNORE INTO invite_link_domains (domain, org_id, link_id) VALUES (?, ?, ?)');
  for (const d of linkDomainKeys(link.allowedDomains)) insert.run(d, link.orgId, link.id);
}
