import type { AuditDraft } from '../../domain/model.js';
import type { DomainClaim, JoinRequest, JoinRequestStatus } from '../../domain/signup.js';
import type { SignupStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { domainExists, domainNotFound, domainTaken, joinRequestNotFound } from '../shared/record-errors.js';
import { isUniqueViolation, parse, type DataRow, type PostgresContext, type Sql } from './context.js';

const verifiedColumn = (c: DomainClaim) => (c.status === 'verified' ? c.domain : null);

/**
 * Domain claims and join requests. Writes hold the org's lock; two orgs verifying one domain hold
 * different locks, so the unique constraint on verified_domain decides: the second to commit fails
 * with a unique violation, reported as `domain.taken`.
 */
export class PostgresSignup implements SignupStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createDomainClaim(claim: DomainClaim, audit: AuditDraft): Promise<DomainClaim> {
    return this.ctx.write(claim.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, claim.orgId);
      await tx
        .exec('INSERT INTO domain_claims (org_id, domain, verified_domain, version, data) VALUES ($1, $2, $3, $4, $5)', [claim.orgId, claim.domain, verifiedColumn(claim), claim.version, JSON.stringify(claim)])
        .catch((err: unknown) => {
          throw mapClaimError(err, claim.domain);
        });
      await this.ctx.appendTx(tx, audit);
      return claim;
    });
  }

  async getDomainClaim(orgId: string, domain: string): Promise<DomainClaim | undefined> {
    return this.ctx.read((sql) => this.#claim(sql, orgId, domain));
  }

  async listDomainClaims(orgId: string): Promise<DomainClaim[]> {
    return this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM domain_claims WHERE org_id = $1 ORDER BY seq', [orgId])).map((r) => parse<DomainClaim>(r)!));
  }

  async findVerifiedDomain(domain: string): Promise<DomainClaim | undefined> {
    return this.ctx.read(async (sql) => parse<DomainClaim>(await sql.one<DataRow>('SELECT data FROM domain_claims WHERE verified_domain = $1', [domain])));
  }

  async updateDomainClaim(orgId: string, domain: string, updater: Updater<DomainClaim>, opts?: UpdateOptions): Promise<UpdateResult<DomainClaim>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.#claim(tx, orgId, domain, true);
      if (!current) throw domainNotFound(domain);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx
          .exec('UPDATE domain_claims SET verified_domain = $1, version = $2, data = $3 WHERE org_id = $4 AND domain = $5', [verifiedColumn(next), next.version, JSON.stringify(next), orgId, domain])
          .catch((err: unknown) => {
            throw mapClaimError(err, domain);
          });
      });
    });
  }

  async deleteDomainClaim(orgId: string, domain: string, audit: AuditDraft): Promise<void> {
    await this.ctx.write(orgId, async (tx) => {
      if ((await tx.exec('DELETE FROM domain_claims WHERE org_id = $1 AND domain = $2', [orgId, domain])) === 0) throw domainNotFound(domain);
      await this.ctx.appendTx(tx, audit);
    });
  }

  async createJoinRequest(req: JoinRequest, audit: AuditDraft): Promise<JoinRequest> {
    return this.ctx.write(req.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, req.orgId);
      await tx.exec('INSERT INTO join_requests (id, org_id, status, version, data) VALUES ($1, $2, $3, $4, $5)', [req.id, req.orgId, req.status, req.version, JSON.stringify(req)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'join request', req.id);
      });
      await this.ctx.appendTx(tx, audit);
      return req;
    });
  }

  async getJoinRequest(orgId: string, id: string): Promise<JoinRequest | undefined> {
    return this.ctx.read((sql) => this.ctx.record<JoinRequest>(sql, 'join_requests', orgId, id));
  }

  async listJoinRequests(orgId: string, query?: { statuses?: JoinRequestStatus[] }): Promise<JoinRequest[]> {
    const all = await this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM join_requests WHERE org_id = $1 ORDER BY seq', [orgId])).map((r) => parse<JoinRequest>(r)!));
    return query?.statuses ? all.filter((r) => query.statuses!.includes(r.status)) : all;
  }

  async updateJoinRequest(orgId: string, id: string, updater: Updater<JoinRequest>, opts?: UpdateOptions): Promise<UpdateResult<JoinRequest>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.ctx.record<JoinRequest>(tx, 'join_requests', orgId, id, true);
      if (!current) throw joinRequestNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE join_requests SET status = $1, version = $2, data = $3 WHERE org_id = $4 AND id = $5', [next.status, next.version, JSON.stringify(next), orgId, id]);
      });
    });
  }

  async #claim(sql: Sql, orgId: string, domain: string, forUpdate = false): Promise<DomainClaim | undefined> {
    return parse<DomainClaim>(await sql.one<DataRow>(`SELECT data FROM domain_claims WHERE org_id = $1 AND domain = $2${forUpdate ? ' FOR UPDATE' : ''}`, [orgId, domain]));
  }
}

function mapClaimError(err: unknown, domain: string): unknown {
  if (isUniqueViolation(err, 'domain_claims_verified')) return domainTaken(domain);
  if (isUniqueViolation(err, 'domain_claims_org_domain')) return domainExists(domain);
  return err;
}
