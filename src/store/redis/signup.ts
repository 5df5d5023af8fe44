import type { AuditDraft } from '../../domain/model.js';
import type { DomainClaim, JoinRequest, JoinRequestStatus } from '../../domain/signup.js';
import type { SignupStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { domainExists, domainNotFound, domainTaken, joinRequestNotFound } from '../shared/record-errors.js';
import { parseJson, RETRY, type RedisContext } from './context.js';
import { bestEffort, releaseHashEntry } from './global-index.js';
import type { OrgKeys } from './keys.js';
import { readRecords } from './reads.js';
import { casUpdate, duplicateId, okOrRetry, orgNotFound } from './writes.js';

const isVerified = (raw: string | null | undefined) => parseJson<DomainClaim>(raw)?.status === 'verified';

/**
 * Domain claims and join requests: JSON records under the org's tag, each kind listed in a
 * creation-ordered ZSET. A verified claim also holds `{domains}:verified` domain -> org (another
 * slot), claimed with HSETNX *before* the org's script writes the verified record and released
 * after the record stops being verified. An entry held by another org counts as taken while that
 * org has a claim on the domain at all (it may be mid-way through its own verification); only an
 * entry whose org no longer claims the domain is stale and taken over. So of two orgs verifying
 * one domain at once exactly one gets the entry, and the other is refused before it writes. A
 * process killed between the HSETNX and the script leaves its own org holding the entry with a
 * pending claim; that org verifying again (or removing the claim) settles it. Reads check the org's
 * record, so such an entry is never reported as a verified domain.
 */
export class RedisSignup implements SignupStore {
  constructor(private readonly ctx: RedisContext) {}

  #k(orgId: string): OrgKeys {
    return this.ctx.keys.forOrg(orgId);
  }

  async createDomainClaim(claim: DomainClaim, audit: AuditDraft): Promise<DomainClaim> {
    this.ctx.assertOneSlot(audit, claim.orgId);
    const k = this.#k(claim.orgId);
    const verified = claim.status === 'verified';
    const claimed = verified ? await this.#claimDomain(claim.orgId, claim.domain) : false;
    try {
      return await this.ctx.write(claim.orgId, async () => {
        const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
        const r = await this.ctx.script('createRecord', [...a.keys, k.org, k.domainClaim(claim.domain), k.domainClaims, k.ordinal], [...a.args, claim.domain, JSON.stringify(claim), '']);
        if (r[0] === 'exists') throw domainExists(claim.domain);
        if (r[0] === 'org_not_found') throw orgNotFound(claim.orgId);
        return okOrRetry('createRecord', r) === RETRY ? RETRY : claim;
      });
    } catch (err) {
      if (claimed) await releaseHashEntry(this.ctx, this.ctx.keys.domains.verified, claim.domain, claim.orgId);
      throw err;
    }
  }

  async getDomainClaim(orgId: string, domain: string): Promise<DomainClaim | undefined> {
    return parseJson<DomainClaim>(await this.ctx.call((c) => c.get(this.#k(orgId).domainClaim(domain))));
  }

  async listDomainClaims(orgId: string): Promise<DomainClaim[]> {
    const k = this.#k(orgId);
    const domains = await this.ctx.call((c) => c.zrange(k.domainClaims, '0', '-1'));
    return readRecords<DomainClaim>(this.ctx, domains.map((d) => k.domainClaim(d)));
  }

  async findVerifiedDomain(domain: string): Promise<DomainClaim | undefined> {
    const orgId = await this.ctx.call((c) => c.hget(this.ctx.keys.domains.verified, domain));
    if (!orgId) return undefined;
    const claim = await this.getDomainClaim(orgId, domain);
    return claim?.status === 'verified' ? claim : undefined;
  }

  async updateDomainClaim(orgId: string, domain: string, updater: Updater<DomainClaim>, opts?: UpdateOptions): Promise<UpdateResult<DomainClaim>> {
    const key = this.#k(orgId).domainClaim(domain);
    let claimedHere = false;
    try {
      const result = await casUpdate(this.ctx, {
        lockKey: orgId,
        recordKey: key,
        scope: orgId,
        notFound: () => domainNotFound(domain),
        updater,
        opts,
        persist: async (raw, next, a) => {
          if (next.status === 'verified' && !isVerified(raw)) claimedHere = (await this.#claimDomain(orgId, domain)) || claimedHere;
          return okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)]));
        },
      });
      if (result.changed && result.record.status !== 'verified') await releaseHashEntry(this.ctx, this.ctx.keys.domains.verified, domain, orgId);
      return result;
    } catch (err) {
      // The entry was taken for a write that did not happen: give it back unless the record is verified after all.
      if (claimedHere) await bestEffort(async () => (isVerified(await this.ctx.call((c) => c.get(key))) ? undefined : releaseHashEntry(this.ctx, this.ctx.keys.domains.verified, domain, orgId)));
      throw err;
    }
  }

  async deleteDomainClaim(orgId: string, domain: string, audit: AuditDraft): Promise<void> {
    this.ctx.assertOneSlot(audit, orgId);
    const k = this.#k(orgId);
    await this.ctx.write(orgId, async () => {
      const raw = await this.ctx.call((c) => c.get(k.domainClaim(domain)));
      if (raw === null) throw domainNotFound(domain);
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('deleteRecord', [...a.keys, k.domainClaim(domain), k.domainClaims], [...a.args, domain, raw]);
      return okOrRetry('deleteRecord', r) === RETRY ? RETRY : undefined;
    });
    await releaseHashEntry(this.ctx, this.ctx.keys.domains.verified, domain, orgId);
  }

  async createJoinRequest(req: JoinRequest, audit: AuditDraft): Promise<JoinRequest> {
    this.ctx.assertOneSlot(audit, req.orgId);
    const k = this.#k(req.orgId);
    return this.ctx.write(req.orgId, async () => {
      const a = this.ctx.audit(audit, await this.ctx.readHead(audit.orgId));
      const r = await this.ctx.script('createRecord', [...a.keys, k.org, k.joinRequest(req.id), k.joinRequests, k.ordinal], [...a.args, req.id, JSON.stringify(req), '']);
      if (r[0] === 'org_not_found') throw orgNotFound(req.orgId);
      if (r[0] === 'exists') throw duplicateId('join request', req.id);
      return okOrRetry('createRecord', r) === RETRY ? RETRY : req;
    });
  }

  async getJoinRequest(orgId: string, id: string): Promise<JoinRequest | undefined> {
    return parseJson<JoinRequest>(await this.ctx.call((c) => c.get(this.#k(orgId).joinRequest(id))));
  }

  async listJoinRequests(orgId: string, query?: { statuses?: JoinRequestStatus[] }): Promise<JoinRequest[]> {
    const k = this.#k(orgId);
    const ids = await this.ctx.call((c) => c.zrange(k.joinRequests, '0', '-1'));
    const all = await readRecords<JoinRequest>(this.ctx, ids.map((id) => k.joinRequest(id)));
    return query?.statuses ? all.filter((r) => query.statuses!.includes(r.status)) : all;
  }

  async updateJoinRequest(orgId: string, id: string, updater: Updater<JoinRequest>, opts?: UpdateOptions): Promise<UpdateResult<JoinRequest>> {
    const key = this.#k(orgId).joinRequest(id);
    return casUpdate(this.ctx, {
      lockKey: orgId,
      recordKey: key,
      scope: orgId,
      notFound: () => joinRequestNotFound(id),
      updater,
      opts,
      persist: async (raw, next, a) => okOrRetry('replaceRecord', await this.ctx.script('replaceRecord', [...a.keys, key], [...a.args, raw, JSON.stringify(next)])),
    });
  }

  /**
   * Takes `{domains}:verified` domain -> orgId. True when this call set it, false when the org held it
   * already; `domain.taken` when another org holds it and still claims the domain.
   */
  async #claimDomain(orgId: string, domain: string): Promise<boolean> {
    const key = this.ctx.keys.domains.verified;
    for (let i = 0; i < 3; i++) {
      if ((await this.ctx.call((c) => c.hsetnx(key, domain, orgId))) === 1) return true;
      const holder = await this.ctx.call((c) => c.hget(key, domain));
      if (holder === orgId) return false;
      if (holder === null) continue;
      if ((await this.ctx.call((c) => c.exists(this.#k(holder).domainClaim(domain)))) === 1) throw domainTaken(domain);
      // The holder no longer claims the domain (removed after a crash left the entry): stale.
      await this.ctx.script('hdelIfEquals', [key], [domain, holder]);
    }
    throw domainTaken(domain);
  }
}
