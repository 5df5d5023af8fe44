import { emailKey } from '../../domain/keys.js';
import type { AuditDraft, Invitation, InvitationStatus, InviteLink } from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import type { InvitationStore } from '../../ports/store.js';
import { epochMs, invitationDuplicate, invitationNotFound, inviteCapReached, linkNotFound } from '../shared/record-errors.js';
import { parseJson, RETRY, unexpectedReply, type Attempt, type RedisContext } from './context.js';
import { claimHashEntry, refJson, releaseHashEntry, type OrgRef } from './global-index.js';
import { indexCrossOrg, invitationEntries, linkEntries } from './cross-org.js';
import type { OrgKeys } from './keys.js';
import { pageOfSortedSet, pageOfUnion, readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound } from './writes.js';

type TokenRecord = { id: string; orgId: string; tokenHash: string };

/**
 * Invitations and invite links.
 *
 * The pending cap and the duplicate check run inside createInvitation-10, atomically with the
 * insert: the org keeps its stored-pending invitations in a set scored by expiry (the cap counts
 * the part past `now`) and one set per email. Token hashes are global (`{invites}`): a new hash is
 * claimed before the org's script and the replaced one released after it; lookups check that the
 * record still carries the hash, so a replaced or refused hash finds nothing.
 */
export class RedisInvitations implements InvitationStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createInvitation(inv: Invitation, audit: AuditDraft, opts: { pendingCap: number; now: string }): Promise<Invitation> {
    this.ctx.assertOneSlot(audit, inv.orgId);
    const pending = inv.status === 'pending';
    const expiresMs = epochMs(inv.expiresAt, 'expiresAt');
    const nowMs = pending ? epochMs(opts.now, 'now') : 0;
    const byHash = this.ctx.keys.invites.invitationByHash;
    const ref = refJson(inv.orgId, inv.id);
    await claimHashEntry(this.ctx, byHash, inv.tokenHash, ref, 'invitation');
    await indexCrossOrg(this.ctx, invitationEntries(this.ctx.keys, inv));
    const k = this.#k(inv.orgId);
    let refused = false;
    try {
      return await this.ctx.write(inv.orgId, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const keys = [k.org, k.invitation(inv.id), k.invitations, k.invitationsByStatus(inv.status), k.pendingInvitations, k.pendingInvitationsByEmail(emailKey(inv.email)), k.ordinal];
        const r = await this.ctx.script('createInvitation', [...a.keys, ...keys], [...a.args, inv.id, JSON.stringify(inv), pending ? '1' : '0', expiresMs, nowMs, opts.pendingCap]);
        switch (r[0]) {
          case 'ok':
            return inv;
          case 'head_moved':
            return RETRY;
          case 'exists':
            throw duplicateId('invitation', inv.id);
          case 'org_not_found':
            refused = true;
            throw orgNotFound(inv.orgId);
          case 'duplicate':
            refused = true;
            throw invitationDuplicate(inv);
          case 'cap_reached':
            refused = true;
            throw inviteCapReached(inv.orgId, Number(r[1]), opts.pendingCap);
          default:
            throw unexpectedReply('createInvitation', r);
        }
      });
    } catch (err) {
      if (refused) await releaseHashEntry(this.ctx, byHash, inv.tokenHash, ref);
      throw err;
    }
  }

  async getInvitation(orgId: string, id: string): Promise<Invitation | undefined> {
    return parseJson<Invitation>(await this.ctx.call((c) => c.get(this.#k(orgId).invitation(id))));
  }

  async findInvitationByTokenHash(hash: string): Promise<Invitation | undefined> {
    return this.#findByHash<Invitation>(this.ctx.keys.invites.invitationByHash, hash, (k, id) => k.invitation(id));
  }

  async listInvitations(orgId: string, query?: PageRequest & { statuses?: InvitationStatus[] }): Promise<Page<Invitation>> {
    const k = this.#k(orgId);
    const sets = query?.statuses?.length ? [...new Set(query.statuses)].map((s) => k.invitationsByStatus(s)) : [k.invitations];
    const { items, total } = await pageOfUnion(this.ctx, sets, query, 'desc');
    return { items: await readRecords<Invitation>(this.ctx, items.map((id) => k.invitation(id))), total };
  }

  async listPendingInvitationsForEmail(orgId: string, email: string): Promise<Invitation[]> {
    const k = this.#k(orgId);
    const key = emailKey(email);
    const ids = await this.ctx.call((c) => c.zrevrange(k.pendingInvitationsByEmail(key), '0', '-1'));
    const invitations = await readRecords<Invitation>(this.ctx, ids.map((id) => k.invitation(id)));
    // Re-checked against the records read after the index (an update may fall between).
    return invitations.filter((inv) => inv.status === 'pending' && emailKey(inv.email) === key);
  }

  async updateInvitation(orgId: string, id: string, updater: Updater<Invitation>, opts?: UpdateOptions): Promise<UpdateResult<Invitation>> {
    const k = this.#k(orgId);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: k.invitation(id),
      scope: orgId,
      notFound: () => invitationNotFound(id),
      updater,
      opts,
      persist: (raw, next, a, current) =>
        this.#withRotatedHash(this.ctx.keys.invites.invitationByHash, 'invitation', current, next, async () => {
          await indexCrossOrg(this.ctx, invitationEntries(this.ctx.keys, next));
          const keys = [
            k.invitation(id),
            k.invitations,
            k.invitationsByStatus(current.status),
            k.invitationsByStatus(next.status),
            k.pendingInvitations,
            k.pendingInvitationsByEmail(emailKey(current.email)),
            k.pendingInvitationsByEmail(emailKey(next.email)),
          ];
          const args = [id, raw, JSON.stringify(next), next.status === 'pending' ? '1' : '0', epochMs(next.expiresAt, 'expiresAt')];
          return okOrRetry('updateInvitation', await this.ctx.script('updateInvitation', [...a.keys, ...keys], [...a.args, ...args]));
        }),
    });
  }

  // ---- invite links ----

  async createInviteLink(link: InviteLink, audit: AuditDraft): Promise<InviteLink> {
    this.ctx.assertOneSlot(audit, link.orgId);
    const byHash = this.ctx.keys.invites.linkByHash;
    const ref = refJson(link.orgId, link.id);
    await claimHashEntry(this.ctx, byHash, link.tokenHash, ref, 'invite link');
    await indexCrossOrg(this.ctx, linkEntries(this.ctx.keys, link));
    const k = this.#k(link.orgId);
    let refused = false;
    try {
      return await this.ctx.write(link.orgId, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const r = await this.ctx.script('createRecord', [...a.keys, k.org, k.inviteLink(link.id), k.inviteLinks, k.ordinal], [...a.args, link.id, JSON.stringify(link), '']);
        if (r[0] === 'exists') throw duplicateId('invite link', link.id);
        if (r[0] === 'org_not_found') {
          refused = true;
          throw orgNotFound(link.orgId);
        }
        return okOrRetry('createRecord', r) === RETRY ? RETRY : link;
      });
    } catch (err) {
      if (refused) await releaseHashEntry(this.ctx, byHash, link.tokenHash, ref);
      throw err;
    }
  }

  async getInviteLink(orgId: string, id: string): Promise<InviteLink | undefined> {
    return parseJson<InviteLink>(await this.ctx.call((c) => c.get(this.#k(orgId).inviteLink(id))));
  }

  async findInviteLinkByTokenHash(hash: string): Promise<InviteLink | undefined> {
    return this.#findByHash<InviteLink>(this.ctx.keys.invites.linkByHash, hash, (k, id) => k.inviteLink(id));
  }

  async listInviteLinks(orgId: string, page?: PageRequest): Promise<Page<InviteLink>> {
    const k = this.#k(orgId);
    const { items, total } = await pageOfSortedSet(this.ctx, k.inviteLinks, page, 'desc');
    return { items: await readRecords<InviteLink>(this.ctx, items.map((id) => k.inviteLink(id))), total };
  }

  /** Uses race through here: the script's compare-and-swap lets one of two last uses win, the other re-reads. */
  async updateInviteLink(orgId: string, id: string, updater: Updater<InviteLink>, opts?: UpdateOptions): Promise<UpdateResult<InviteLink>> {
    const key = this.#k(orgId).inviteLink(id);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: key,
      scope: orgId,
      notFound: () => linkNotFound(id),
      updater,
      opts,
      persist: (raw, next, a, current) =>
        this.#withRotatedHash(this.ctx.keys.invites.linkByHash, 'invite link', current, next, async () => {
          await indexCrossOrg(this.ctx, linkEntries(this.ctx.keys, next));
          return okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)]));
        }),
    });
  }

  // ---- token hashes ----

  async #findByHash<T extends TokenRecord>(index: string, hash: string, recordKey: (k: OrgKeys, id: string) => string): Promise<T | undefined> {
    const ref = parseJson<OrgRef>(await this.ctx.call((c) => c.hget(index, hash)));
    if (!ref) return undefined;
    const record = parseJson<T>(await this.ctx.call((c) => c.get(recordKey(this.#k(ref.orgId), ref.id))));
    return record?.tokenHash === hash && record.orgId === ref.orgId ? record : undefined;
  }

  /**
   * Runs a record's script around a token hash rotation: the new hash is claimed first; once the
   * script has written, the replaced one is released. After a lost race the new entry is kept (the
   * winner may have written the same hash; an entry no record carries finds nothing).
   */
  async #withRotatedHash(
    index: string,
    what: string,
    current: TokenRecord,
    next: TokenRecord,
    write: () => Promise<Attempt<'ok'>>,
  ): Promise<Attempt<'ok'>> {
    if (next.tokenHash === current.tokenHash) return write();
    const ref = refJson(current.orgId, current.id);
    await claimHashEntry(this.ctx, index, next.tokenHash, ref, what);
    const outcome = await write();
    if (outcome === 'ok') await releaseHashEntry(this.ctx, index, current.tokenHash, ref);
    return outcome;
  }
}
