import { emailKey, sameLinkDomains } from '../../domain/keys.js';
import type { AuditDraft, Invitation, InvitationStatus, InviteLink } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type InvitationStore, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { epochMs, invitationDuplicate, invitationNotFound, inviteCapReached, linkNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';
import { writeLinkDomains } from './cross-org.js';

/**
 * Invitations and invite links. The pending cap and the duplicate check are decided inside the
 * IMMEDIATE transaction that inserts, so concurrent creates (in this process or another one sharing
 * the file) cannot both pass them.
 */
export class SqliteInvitations implements InvitationStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createInvitation(inv: Invitation, audit: AuditDraft, opts: { pendingCap: number; now: string }): Promise<Invitation> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(inv.orgId);
      const expiresMs = epochMs(inv.expiresAt, 'expiresAt');
      const key = emailKey(inv.email);
      if (inv.status === 'pending') {
        const nowMs = epochMs(opts.now, 'now');
        const live = "org_id = ? AND status = 'pending' AND expires_ms > ?";
        if (this.ctx.stmt(`SELECT 1 FROM invitations WHERE ${live} AND email_key = ? LIMIT 1`).get(inv.orgId, nowMs, key)) throw invitationDuplicate(inv);
        const { n } = this.ctx.stmt(`SELECT count(*) AS n FROM invitations WHERE ${live}`).get(inv.orgId, nowMs) as { n: number };
        if (n >= opts.pendingCap) throw inviteCapReached(inv.orgId, n, opts.pendingCap);
      }
      try {
        this.ctx.stmt('INSERT INTO invitations (id, org_id, email_key, status, expires_ms, token_hash, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
          inv.id,
          inv.orgId,
          key,
          inv.status,
          expiresMs,
          inv.tokenHash,
          inv.version,
          JSON.stringify(inv),
        );
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'invitation', inv.id);
      }
      this.ctx.appendTx(audit);
      return inv;
    });
  }

  async getInvitation(orgId: string, id: string): Promise<Invitation | undefined> {
    return this.ctx.run(() => this.ctx.recordTx<Invitation>('invitations', orgId, id));
  }

  async findInvitationByTokenHash(hash: string): Promise<Invitation | undefined> {
    return this.ctx.run(() => parse<Invitation>(this.ctx.stmt('SELECT data FROM invitations WHERE token_hash = ?').get(hash) as DataRow | undefined));
  }

  async listInvitations(orgId: string, query?: PageRequest & { statuses?: InvitationStatus[] }): Promise<Page<Invitation>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const statuses = query?.statuses?.length ? [...new Set(query.statuses)] : [];
      const clause = statuses.length ? `org_id = ? AND status IN (${statuses.map(() => '?').join(',')})` : 'org_id = ?';
      const rows = this.ctx.stmt(`SELECT data FROM invitations WHERE ${clause} ORDER BY seq DESC LIMIT ? OFFSET ?`).all(orgId, ...statuses, limit, offset) as DataRow[];
      const { n } = this.ctx.stmt(`SELECT count(*) AS n FROM invitations WHERE ${clause}`).get(orgId, ...statuses) as { n: number };
      return { items: rows.map((r) => parse<Invitation>(r)!), total: n };
    });
  }

  async listPendingInvitationsForEmail(orgId: string, email: string): Promise<Invitation[]> {
    return this.ctx.run(() =>
      (
        this.ctx.stmt("SELECT data FROM invitations WHERE org_id = ? AND email_key = ? AND status = 'pending' ORDER BY seq DESC").all(
          orgId,
          emailKey(email),
        ) as DataRow[]
      ).map((r) => parse<Invitation>(r)!),
    );
  }

  async updateInvitation(orgId: string, id: string, updater: Updater<Invitation>, opts?: UpdateOptions): Promise<UpdateResult<Invitation>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<Invitation>('invitations', orgId, id);
      if (!current) throw invitationNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        try {
          this.ctx.stmt('UPDATE invitations SET email_key = ?, status = ?, expires_ms = ?, token_hash = ?, version = ?, data = ? WHERE id = ?').run(
            emailKey(next.email),
            next.status,
            epochMs(next.expiresAt, 'expiresAt'),
            next.tokenHash,
            next.version,
            JSON.stringify(next),
            id,
          );
        } catch (err) {
          throw this.ctx.duplicateRow(err, 'invitation', id);
        }
      });
    });
  }

  // ---- invite links ----

  async createInviteLink(link: InviteLink, audit: AuditDraft): Promise<InviteLink> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(link.orgId);
      try {
        this.ctx.stmt('INSERT INTO invite_links (id, org_id, token_hash, version, data) VALUES (?, ?, ?, ?, ?)').run(
          link.id,
          link.orgId,
          link.tokenHash,
          link.version,
          JSON.stringify(link),
        );
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'invite link', link.id);
      }
      writeLinkDomains(this.ctx, link, true);
      this.ctx.appendTx(audit);
      return link;
    });
  }

  async getInviteLink(orgId: string, id: string): Promise<InviteLink | undefined> {
    return this.ctx.run(() => this.ctx.recordTx<InviteLink>('invite_links', orgId, id));
  }

  async findInviteLinkByTokenHash(hash: string): Promise<InviteLink | undefined> {
    return this.ctx.run(() => parse<InviteLink>(this.ctx.stmt('SELECT data FROM invite_links WHERE token_hash = ?').get(hash) as DataRow | undefined));
  }

  async listInviteLinks(orgId: string, page?: PageRequest): Promise<Page<InviteLink>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.ctx.stmt('SELECT data FROM invite_links WHERE org_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?').all(orgId, limit, offset) as DataRow[];
      const { n } = this.ctx.stmt('SELECT count(*) AS n FROM invite_links WHERE org_id = ?').get(orgId) as { n: number };
      return { items: rows.map((r) => parse<InviteLink>(r)!), total: n };
    });
  }

  async updateInviteLink(orgId: string, id: string, updater: Updater<InviteLink>, opts?: UpdateOptions): Promise<UpdateResult<InviteLink>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<InviteLink>('invite_links', orgId, id);
      if (!current) throw linkNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        try {
          this.ctx.stmt('UPDATE invite_links SET token_hash = ?, version = ?, data = ? WHERE id = ?').run(next.tokenHash, next.version, JSON.stringify(next), id);
        } catch (err) {
          throw this.ctx.duplicateRow(err, 'invite link', id);
        }
        if (!sameLinkDomains(current.allowedDomains, next.allowedDomains)) writeLinkDomains(this.ctx, next, false);
      });
    });
  }
}
