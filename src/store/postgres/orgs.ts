import { IdsyncError } from '../../domain/errors.js';
import type { AuditDraft, Organization } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type OrgStore, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { parse, type DataRow, type PostgresContext } from './context.js';

/** Organizations. */
export class PostgresOrgs implements OrgStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createOrg(org: Organization, audit: AuditDraft): Promise<Organization> {
    return this.ctx.write(audit.orgId, async (tx) => {
      await tx.exec('INSERT INTO orgs (id, version, data) VALUES ($1, $2, $3)', [org.id, org.version, JSON.stringify(org)]).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'organization', org.id);
      });
      await this.ctx.appendTx(tx, audit);
      return org;
    });
  }

  async getOrg(id: string): Promise<Organization | undefined> {
    return this.ctx.read(async (sql) => parse<Organization>(await sql.one<DataRow>('SELECT data FROM orgs WHERE id = $1', [id])));
  }

  async listOrgs(page?: PageRequest): Promise<Page<Organization>> {
    const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<DataRow>('SELECT data FROM orgs ORDER BY seq LIMIT $1 OFFSET $2', [limit, offset]),
        sql.one<{ n: number }>('SELECT count(*)::int AS n FROM orgs'),
      ]);
      return { items: rows.map((r) => parse<Organization>(r)!), total: count!.n };
    });
  }

  async updateOrg(id: string, updater: Updater<Organization>, opts?: UpdateOptions): Promise<UpdateResult<Organization>> {
    return this.ctx.write(id, async (tx) => {
      const current = parse<Organization>(await tx.one<DataRow>('SELECT data FROM orgs WHERE id = $1 FOR UPDATE', [id]));
      if (!current) throw new IdsyncError('org.not_found', `organization ${id} not found`);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE orgs SET version = $1, data = $2 WHERE id = $3', [next.version, JSON.stringify(next), id]);
      });
    });
  }
}
