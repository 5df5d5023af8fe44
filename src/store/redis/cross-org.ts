import { randomUUID } from 'node:crypto';
import { emailKey, linkDomainKeys } from '../../domain/keys.js';
import type { Invitation, InviteLink, Member } from '../../domain/model.js';
import type { CrossOrgIndexStore } from '../../ports/store.js';
import { sameEmails, sameIdentities } from '../shared/member-batch.js';
import type { RedisClient } from './client.js';
import type { RedisContext } from './context.js';
import type { RedisKeys } from './keys.js';
import { readRecords } from './reads.js';

/**
 * Cross-organization candidate indexes. Global SETs of org ids under the tag `{xorg}` (keys.ts),
 * one per member identity, member email, pending-invitation email and invite-link domain, and a
 * HASH member id -> org id. They cannot change in the org's script on a Cluster, so:
 * - every write adds its entries (one MULTI: they share the tag) *before* the org's script, so an
 *   entry is never missing for a record that was written (a refused write leaves a stale one);
 * - entries are not removed when a member, invitation or link changes (another record of the org
 *   may still need the entry, and removing it safely would need both slots in one script); a stale
 *   entry costs the caller one per-org lookup, which it makes anyway (the port's contract). Org
 *   purge removes the entries of the org's records;
 * - a store written before these indexes existed lacks `built`: its lookups answer every org (a
 *   candidate superset, as correct as the walk callers made before), and the first such lookup
 *   starts a one-time rebuild under a lease (one replica walks every org); `built` is set when it
 *   is done. A store whose first org is created with the indexes in place is built at once.
 */

/** One index entry: a SET member (org id) or a HASH field (member id -> org id). */
export type CrossOrgEntry = { set: string; orgId: string } | { hash: string; field: string; orgId: string };

/** A member's entries: its id, and while it is live (or `everything`, for purge) its emails and identities. */
export function memberEntries(keys: RedisKeys, m: Member, everything = false): CrossOrgEntry[] {
  const x = keys.crossOrg;
  const out: CrossOrgEntry[] = [{ hash: x.memberOrg, field: m.id, orgId: m.orgId }];
  if (m.status === 'removed' && !everything) return out;
  for (const key of new Set(m.emails.map((e) => emailKey(e.value)))) out.push({ set: x.memberEmail(key), orgId: m.orgId });
  for (const i of m.identities ?? []) out.push({ set: x.memberIdentity(i.provider, i.subject), orgId: m.orgId });
  return out;
}

/**
 * The entries an update must add: none when the member was live and keeps its emails and identities
 * (what it had was indexed when it got them), else the next record's.
 */
export function memberUpdateEntries(keys: RedisKeys, current: Member, next: Member): CrossOrgEntry[] {
  const unchanged = current.status !== 'removed' && next.status !== 'removed' && sameEmails(current, next) && sameIdentities(current, next);
  return unchanged ? [] : memberEntries(keys, next);
}

/** A stored-pending invitation's entry (any invitation's with `everything`, for purge). */
export function invitationEntries(keys: RedisKeys, inv: Invitation, everything = false): CrossOrgEntry[] {
  return inv.status === 'pending' || everything ? [{ set: keys.crossOrg.invitationEmail(emailKey(inv.email)), orgId: inv.orgId }] : [];
}

export function linkEntries(keys: RedisKeys, link: InviteLink): CrossOrgEntry[] {
  return linkDomainKeys(link.allowedDomains).map((d) => ({ set: keys.crossOrg.linkDomain(d), orgId: link.orgId }));
}

/** Writes the entries in one MULTI (one slot); idempotent. */
export async function addCrossOrgEntries(client: RedisClient, entries: readonly CrossOrgEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const m = client.multi();
  for (const e of entries) {
    if ('set' in e) m.sadd(e.set, e.orgId);
    else m.hset(e.hash, e.field, e.orgId);
  }
  await m.exec();
}

/** Removes the entries (org purge): only where they name this org. */
export async function removeCrossOrgEntries(ctx: RedisContext, entries: readonly CrossOrgEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await ctx.call(async (c) => {
    const m = c.multi();
    for (const e of entries) {
      if ('set' in e) m.srem(e.set, e.orgId);
      else m.hdel(e.hash, e.field);
    }
    await m.exec();
  });
}

export const indexCrossOrg = (ctx: RedisContext, entries: readonly CrossOrgEntry[]) => ctx.call((c) => addCrossOrgEntries(c, entries));

/** Marks a store with no org yet as built (createOrg calls it before indexing a new org). */
export async function markBuiltIfEmpty(ctx: RedisContext): Promise<void> {
  const { orgs, crossOrg } = ctx.keys;
  if ((await ctx.call((c) => c.zcard(orgs.all))) === 0) await ctx.call((c) => c.set(crossOrg.built, new Date().toISOString(), 'NX'));
}

const BUILD_LEASE = 'cross-org-index-build';
const BUILD_LEASE_MS = 120_000;
const BATCH = 500;
/** A replica that found another one building waits this long before it tries again. */
const RETRY_MS = 30_000;

export class RedisCrossOrg implements CrossOrgIndexStore {
  #building: Promise<void> | undefined;
  #nextAttempt = 0;

  constructor(private readonly ctx: RedisContext) {}

  async findOrgIdsByMemberIdentity(provider: string, subject: string): Promise<string[]> {
    return this.#members(this.ctx.keys.crossOrg.memberIdentity(provider, subject));
  }

  async findOrgIdsByMemberEmail(email: string): Promise<string[]> {
    return this.#members(this.ctx.keys.crossOrg.memberEmail(emailKey(email)));
  }

  async findOrgIdsWithPendingInvitationFor(email: string): Promise<string[]> {
    return this.#members(this.ctx.keys.crossOrg.invitationEmail(emailKey(email)));
  }

  async findOrgIdsWithInviteLinkDomain(domain: string): Promise<string[]> {
    const key = linkDomainKeys([domain])[0];
    return key === undefined ? [] : this.#members(this.ctx.keys.crossOrg.linkDomain(key));
  }

  async findOrgIdsByMemberId(memberId: string): Promise<string[]> {
    const x = this.ctx.keys.crossOrg;
    const [built, orgId] = (await this.ctx.snapshot((m) => m.get(x.built).hget(x.memberOrg, memberId))) as [string | null, string | null];
    if (built === null) return this.#everyOrg();
    return orgId === null ? [] : [orgId];
  }

  async #members(key: string): Promise<string[]> {
    const [built, ids] = (await this.ctx.snapshot((m) => m.get(this.ctx.keys.crossOrg.built).smembers(key))) as [string | null, string[]];
    return built === null ? this.#everyOrg() : ids;
  }

  /** Not built yet: every org is a candidate (the caller's per-org lookups decide), and the rebuild starts. */
  async #everyOrg(): Promise<string[]> {
    const ids = await this.ctx.call((c) => c.zrange(this.ctx.keys.orgs.all, '0', '-1'));
    if (ids.length === 0) {
      await markBuiltIfEmpty(this.ctx);
      return [];
    }
    if (!this.#building && Date.now() >= this.#nextAttempt) {
      this.#building = rebuildCrossOrgIndex(this.ctx)
        .then((done) => {
          if (!done) this.#nextAttempt = Date.now() + RETRY_MS;
        })
        .catch(() => {
          this.#nextAttempt = Date.now() + RETRY_MS;
        })
        .finally(() => (this.#building = undefined));
    }
    return ids;
  }
}

/**
 * Walks every org and adds the entries of its members, stored-pending invitations and invite links,
 * then sets `built`. Runs under a lease (renewed as it goes), so one replica builds; returns false
 * when another holds the lease or the index was built meanwhile. Idempotent: an interrupted build
 * is done again whole by the next one.
 */
export async function rebuildCrossOrgIndex(ctx: RedisContext, holder: string = randomUUID()): Promise<boolean> {
  const { orgs, crossOrg } = ctx.keys;
  const lease = () => ctx.script('acquireLease', [ctx.keys.lease(BUILD_LEASE)], [holder, BUILD_LEASE_MS]).then((r) => r[1] === 1);
  if (!(await lease())) return false;
  if ((await ctx.call((c) => c.get(crossOrg.built))) !== null) return false;
  const orgIds = await ctx.call((c) => c.zrange(orgs.all, '0', '-1'));
  for (let n = 0; n < orgIds.length; n++) {
    const orgId = orgIds[n]!;
    if (n > 0 && n % 50 === 0 && !(await lease())) return false;
    for (const entries of await orgEntries(ctx, orgId)) await indexCrossOrg(ctx, entries);
  }
  await ctx.call((c) => c.set(crossOrg.built, new Date().toISOString()));
  return true;
}

/** The entries of one org's records, in batches (what the rebuild adds and purge removes). */
export async function orgEntries(ctx: RedisContext, orgId: string, everything = false): Promise<CrossOrgEntry[][]> {
  const k = ctx.keys.forOrg(orgId);
  const out: CrossOrgEntry[][] = [];
  const walk = async <T>(zset: string, key: (id: string) => string, entries: (r: T) => CrossOrgEntry[]) => {
    const ids = await ctx.call((c) => c.zrange(zset, '0', '-1'));
    for (let i = 0; i < ids.length; i += BATCH) {
      const records = await readRecords<T>(ctx, ids.slice(i, i + BATCH).map(key));
      out.push(records.flatMap(entries));
    }
  };
  await walk<Member>(k.members, k.member, (m) => memberEntries(ctx.keys, m, everything));
  await walk<Invitation>(k.invitations, k.invitation, (inv) => invitationEntries(ctx.keys, inv, everything));
  await walk<InviteLink>(k.inviteLinks, k.inviteLink, (l) => linkEntries(ctx.keys, l));
  return out;
}
