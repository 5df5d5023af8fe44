import { emailKey, linkDomainKeys } from '../../domain/keys.js';
import type { InviteLink } from '../../domain/model.js';
import type { CrossOrgIndexStore } from '../../ports/store.js';
import type { Params, PostgresContext, Sql } from './context.js';

type OrgRow = { org_id: string };

/**
 * Cross-organization lookups over the per-org lookup tables, through indexes keyed by the value
 * first (migration 11). Exact here (the tables change in the write's transaction), which the port's
 * candidate contract allows.
 */
export class PostgresCrossOrg implements CrossOrgIndexStore {
  constructor(private readonly ctx: PostgresContext) {}

  #orgIds(text: string, params: Params): Promise<string[]> {
    return this.ctx.read(async (sql) => (await sql.rows<OrgRow>(text, params)).map((r) => r.org_id));
  }

  async findOrgIdsByMemberIdentity(provider: string, subject: string): Promise<string[]> {
    return this.#orgIds('SELECT DISTINCT org_id FROM member_identities WHERE provider = $1 AND subject = $2', [provider, subject]);
  }

  async findOrgIdsByMemberEmail(email: string): Promise<string[]> {
    return this.#orgIds(`SELECT DISTINCT e.org_id FROM member_emails e JOIN members m ON m.id = e.member_id WHERE e.email_key = $1 AND m.status <> 'removed'`, [emailKey(email)]);
  }

  async findOrgIdsWithPendingInvitationFor(email: string): Promise<string[]> {
    return this.#orgIds(`SELECT DISTINCT org_id FROM invitations WHERE email_key = $1 AND status = 'pending'`, [emailKey(email)]);
  }

  async findOrgIdsWithInviteLinkDomain(domain: string): Promise<string[]> {
    const key = linkDomainKeys([domain])[0];
    return key === undefined ? [] : this.#orgIds('SELECT DISTINCT org_id FROM invite_link_domains WHERE domain = $1', [key]);
  }

  async findOrgIdsByMemberId(memberId: string): Promise<string[]> {
    return this.#orgIds('SELECT org_id FROM members WHERE id = $1', [memberId]);
  }
}

/** Writes the link's rows in invite_link_domains (in the caller's transaction), replacing any it had. */
export async function writeLinkDomains(tx: Sql, link: InviteLink, fresh: boolean): Promise<void> {
  if (!fresh) await tx.exec('DELETE FROM invite_link_domains WHERE link_id = $1', [link.id]);
  const domains = linkDomainKeys(link.allowedDomains);
  if (domains.length === 0) return;
  await tx.exec('INSERT INTO invite_link_domains (domain, org_id, link_id) SELECT d, $2, $3 FROM unnest($1::text[]) AS d ON CONFLICT DO NOTHING', [domains, link.orgId, link.id]);
}
