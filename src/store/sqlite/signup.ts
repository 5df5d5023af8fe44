import type { AuditDraft } from '../../domain/model.js';
import type { DomainClaim, JoinRequest, JoinRequestStatus } from '../../domain/signup.js';
import type { SignupStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { domainExists, domainNotFound, domainTaken, joinRequestNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

const verifiedColumn = (c: DomainClaim) => (c.status === 'verified' ? c.domain : null);

/**
 * Domain claims and join requests. Writes are serialized transactions, so the verified-domain check
 * and the write are one step; the UNIQUE index on verified_domain backs it.
 */
export class SqliteSignup implements SignupStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createDomainClaim(claim: DomainClaim, audit: AuditDraft): Promise<DomainClaim> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(claim.orgId);
      if (this.#claim(claim.orgId, claim.domain)) throw domainExists(claim.domain);
      this.#assertFree(claim);
      this.ctx.stmt('INSERT INTO domain_claims (org_id, domain, verified_domain, version, data) VALUES (?, ?, ?, ?, ?)').run(claim.orgId, claim.domain, verifiedColumn(claim), claim.version, JSON.stringify(claim));
      this.ctx.appendTx(audit);
      return claim;
    });
  }

  async getDomainClaim(orgId: string, domain: string): Promise<DomainClaim | undefined> {
    return this.ctx.run(() => this.#claim(orgId, domain));
  }

  async listDomainClaims(orgId: string): Promise<DomainClaim[]> {
    return this.ctx.run(() => (this.ctx.stmt('SELECT data FROM domain_claims WHERE org_id = ? ORDER BY seq').all(orgId) as DataRow[]).map((r) => parse<DomainClaim>(r)!));
  }

  async findVerifiedDomain(domain: string): Promise<DomainClaim | undefined> {
    return this.ctx.run(() => parse<DomainClaim>(this.ctx.stmt('SELECT data FROM domain_claims WHERE verified_domain = ?').get(domain) as DataRow | undefined));
  }

  async updateDomainClaim(orgId: string, domain: string, updater: Updater<DomainClaim>, opts?: UpdateOptions): Promise<UpdateResult<DomainClaim>> {
    return this.ctx.write(() => {
      const current = this.#claim(orgId, domain);
      if (!current) throw domainNotFound(domain);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.#assertFree(next);
        this.ctx.stmt('UPDATE domain_claims SET verified_domain = ?, version = ?, data = ? WHERE org_id = ? AND domain = ?').run(verifiedColumn(next), next.version, JSON.stringify(next), orgId, domain);
      });
    });
  }

  async deleteDomainClaim(orgId: string, domain: string, audit: AuditDraft): Promise<void> {
    this.ctx.write(() => {
      if (this.ctx.stmt('DELETE FROM domain_claims WHERE org_id = ? AND domain = ?').run(orgId, domain).changes === 0) throw domainNotFound(domain);
      this.ctx.appendTx(audit);
    });
  }

  async createJoinRequest(req: JoinRequest, audit: AuditDraft): Promise<JoinRequest> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(req.orgId);
      try {
        this.ctx.stmt('INSERT INTO join_requests (id, org_id, status, version, data) VALUES (?, ?, ?, ?, ?)').run(req.id, req.orgId, req.status, req.version, JSON.stringify(req));
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'join request', req.id);
      }
      this.ctx.appendTx(audit);
      return req;
    });
  }

  async getJoinRequest(orgId: string, id: string): Promise<JoinRequest | undefined> {
    return this.ctx.run(() => this.ctx.recordTx<JoinRequest>('join_requests', orgId, id));
  }

  async listJoinRequests(orgId: string, query?: { statuses?: JoinRequestStatus[] }): Promise<JoinRequest[]> {
    const all = this.ctx.run(() => (this.ctx.stmt('SELECT data FROM join_requests WHERE org_id = ? ORDER BY seq').all(orgId) as DataRow[]).map((r) => parse<JoinRequest>(r)!));
    return query?.statuses ? all.filter((r) => query.statuses!.includes(r.status)) : all;
  }

  async updateJoinRequest(orgId: string, id: string, updater: Updater<JoinRequest>, opts?: UpdateOptions): Promise<UpdateResult<JoinRequest>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<JoinRequest>('join_requests', orgId, id);
      if (!current) throw joinRequestNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE join_requests SET status = ?, version = ?, data = ? WHERE org_id = ? AND id = ?').run(next.status, next.version, JSON.stringify(next), orgId, id);
      });
    });
  }

  #claim(orgId: string, domain: string): DomainClaim | undefined {
    return parse<DomainClaim>(this.ctx.stmt('SELECT data FROM domain_claims WHERE org_id = ? AND domain = ?').get(orgId, domain) as DataRow | undefined);
  }

  #assertFree(claim: DomainClaim): void {
    if (claim.status !== 'verified') return;
    const holder = this.ctx.stmt('SELECT org_id FROM domain_claims WHERE verified_domain = ?').get(claim.domain) as { org_id: string } | undefined;
    if (holder && holder.org_id !== claim.orgId) throw domainTaken(claim.domain);
  }
}
