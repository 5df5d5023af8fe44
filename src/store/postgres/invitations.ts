import { emailKey, sameLinkDomains } from '../../domain/keys.js';
import type { AuditDraft, Invitation, InvitationStatus, InviteLink } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type InvitationStore, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { epochMs, invitationDuplicate, invitationNotFound, inviteCapReached, linkNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type PostgresContext } from './context.js';
import { writeLinkDomains } from './cross-org.js';

/**
 * Invitations and invite links. The pending cap and the duplicate check are decided under the
 * org's write lock, in the transaction that inserts, so concurrent creates (in any replica) cannot
 * both pass them.
 */
export class PostgresInvitations implements InvitationStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createInvitation(inv: Invitation, audit: AuditDraft, opts: { pendingCap: number; now: string }): Promise<Invitation> {
    const expiresMs = epochMs(inv.expiresAt, 'expiresAt');
    const nowMs = epochMs(opts.now, 'now');
    const key = emailKey(inv.email);
    return this.ctx.write(inv.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, inv.orgId);
      if (inv.status === 'pending') {
        const live = "org_id = $1 AND status = 'pending' AND expires_ms > $2";
        if (await tx.one(`SELECT 1 FROM invitations WHERE ${live} AND email_key = $3 LIMIT 1`, [inv.orgId, nowMs, key])) throw invitationDuplicate(inv);
        const { n } = (await tx.one<{ n: number }>(`SELECT count(*)::int AS n FROM invitations WHERE ${live}`, [inv.orgId, nowMs]))!;
        if (n >= opts.pendingCap) throw inviteCapReached(inv.orgId, n, opts.pendingCap);
      }
      await tx
        .exec('INSERT INTO invitations (id, org_id, email_key, status, expires_ms, token_hash, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          inv.id,
          inv.orgId,
          key,
          inv.status,
          expiresMs,
          inv.tokenHash,
          inv.version,
          JSON.stringify(inv),
        ])
        .catch((err: unknown) => {
          throw this.ctx.duplicateRow(err, 'invitation', inv.id);
        });
      await this.ctx.appendTx(tx, audit);
      return inv;
    });
  }

  async getInvitation(orgId: string, id: string): Promise<Invitation | undefined> {
    return this.ctx.read((sql) => this.ctx.record<Invitation>(sql, 'invitations', orgId, id));
  }

  async findInvitationByTokenHash(hash: string): Promise<Invitation | undefined> {
    return this.ctx.read(async (sql) => parse<Invitation>(await sql.one<DataRow>('SELECT data FROM invitations WHERE token_hash = $1', [hash])));
  }

  async listInvitations(orgId: string, query?: PageRequest & { statuses?: InvitationStatus[] }): Promise<Page<Invitation>> {
    const { offset, limit } = clampPage(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    const statuses = query?.statuses?.length ? [...new Set(query.statuses)] : undefined;
    const clause = statuses ? 'org_id = $1 AND status = ANY($2::text[])' : 'org_id = $1';
    const args = statuses ? [orgId, statuses] : [orgId];
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<DataRow>(`SELECT data FROM invitations WHERE ${clause} ORDER BY seq DESC LIMIT $${args.length + 1} OFFSET $${args.length + 2}`, [...args, limit, offset]),
        sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM invitations WHERE ${clause}`, args),
      ]);
      return { items: rows.map((r) => parse<Invitation>(r)!), total: count!.n };
    });
  }

  async listPendingInvitationsForEmail(orgId: string, email: string): Promise<Invitation[]> {
    return this.ctx.read(async (sql) =>
      (await sql.rows<DataRow>("SELECT data FROM invitations WHERE org_id = $1 AND email_key = $2 AND status = 'pending' ORDER BY seq DESC", [orgId, emailKey(email)])).map(
        (r) => parse<Invitation>(r)!,
      ),
    );
  }

  async updateInvitation(orgId: string, id: string, updater: Updater<Invitation>, opts?: UpdateOptions): Promise<UpdateResult<Invitation>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.ctx.record<Invitation>(tx, 'invitations', orgId, id, true);
      if (!current) throw invitationNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx
          .exec('UPDATE invitations SET email_key = $1, status = $2, expires_ms = $3, token_hash = $4, version = $5, data = $6 WHERE id = $7', [
            emailKey(next.email),
            next.status,
            epochMs(next.expiresAt, 'expiresAt'),
            next.tokenHash,
            next.version,
            JSON.stringify(next),
            id,
          ])
          .catch((err: unknown) => {
            throw this.ctx.duplicateRow(err, 'invitation', id);
          });
      });
    });
  }

  // ---- invite links ----

  async createInviteLink(link: InviteLink, audit: AuditDraft): Promise<InviteLink> {
    return this.ctx.write(link.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, link.orgId);
      await tx
        .exec('INSERT INTO invite_links (id, org_id, token_hash, version, data) VALUES ($1, $2, $3, $4, $5)', [link.id, link.orgId, link.tokenHash, link.version, JSON.stringify(link)])
        .catch((err: unknown) => {
          throw this.ctx.duplicateRow(err, 'invite link', link.id);
        });
      await writeLinkDomains(tx, link, true);
      await this.ctx.appendTx(tx, audit);
      return link;
    });
  }

  async getInviteLink(orgId: string, id: string): Promise<InviteLink | undefined> {
    return this.ctx.read((sql) => this.ctx.record<InviteLink>(sql, 'invite_links', orgId, id));
  }

  async findInviteLinkByTokenHash(hash: string): Promise<InviteLink | undefined> {
    return this.ctx.read(async (sql) => parse<InviteLink>(await sql.one<DataRow>('SELECT data FROM invite_links WHERE token_hash = $1', [hash])));
  }

  async listInviteLinks(orgId: string, page?: PageRequest): Promise<Page<InviteLink>> {
    const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<DataRow>('SELECT data FROM invite_links WHERE org_id = $1 ORDER BY seq DESC LIMIT $2 OFFSET $3', [orgId, limit, offset]),
        sql.one<{ n: number }>('SELECT count(*)::int AS n FROM invite_links WHERE org_id = $1', [orgId]),
      ]);
      return { items: rows.map((r) => parse<InviteLink>(r)!), total: count!.n };
    });
  }

  async updateInviteLink(orgId: string, id: string, updater: Updater<InviteLink>, opts?: UpdateOptions): Promise<UpdateResult<InviteLink>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.ctx.record<InviteLink>(tx, 'invite_links', orgId, id, true);
      if (!current) throw linkNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE invite_links SET token_hash = $1, version = $2, data = $3 WHERE id = $4', [next.tokenHash, next.version, JSON.stringify(next), id]).catch((err: unknown) => {
          throw this.ctx.duplicateRow(err, 'invite link', id);
        });
        if (!sameLinkDomains(current.allowedDomains, next.allowedDomains)) await writeLinkDomains(tx, next, false);
      });
    });
  }
}
