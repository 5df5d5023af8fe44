import { IdsyncError } from '../../domain/errors.js';
import type { AuditDraft, Organization } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type OrgStore, type Page, type PageRequest, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** Organizations. */
export class SqliteOrgs implements OrgStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createOrg(org: Organization, audit: AuditDraft): Promise<Organization> {
    return this.ctx.write(() => {
      this.ctx.stmt('INSERT INTO orgs (id, version, data) VALUES (?, ?, ?)').run(org.id, org.version, JSON.stringify(org));
      this.ctx.appendTx(audit);
      return org;
    });
  }

  async getOrg(id: string): Promise<Organization | undefined> {
    return this.ctx.run(() => parse<Organization>(this.ctx.stmt('SELECT data FROM orgs WHERE id = ?').get(id) as DataRow | undefined));
  }

  async listOrgs(page?: PageRequest): Promise<Page<Organization>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const rows = this.ctx.stmt('SELECT data FROM orgs ORDER BY seq LIMIT ? OFFSET ?').all(limit, offset) as DataRow[];
      const { n } = this.ctx.stmt('SELECT count(*) AS n FROM orgs').get() as { n: number };
      return { items: rows.map((r) => parse<Organization>(r)!), total: n };
    });
  }

  async updateOrg(id: string, updater: Updater<Organization>, opts?: UpdateOptions): Promise<UpdateResult<Organization>> {
    return this.ctx.write(() => {
      const current = parse<Organization>(this.ctx.stmt('SELECT data FROM orgs WHERE id = ?').get(id) as DataRow | undefined);
      if (!current) throw new IdsyncError('org.not_found', `organization ${id} not found`);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE orgs SET version = ?, data = ? WHERE id = ?').run(next.version, JSON.stringify(next), id);
      });
    });
  }
}
