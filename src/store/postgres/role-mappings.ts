import type { AuditDraft, RoleMapping } from '../../domain/model.js';
import type { RoleMappingStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { roleMappingExists, roleMappingNotFound } from '../shared/record-errors.js';
import { isUniqueViolation, parse, type DataRow, type PostgresContext } from './context.js';

/**
 * Role mappings: one JSON row per (org, id), listed in creation order. Writes hold the org's write
 * lock, so of racing creates of one group the first commits and the others find its row.
 */
export class PostgresRoleMappings implements RoleMappingStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createRoleMapping(mapping: RoleMapping, audit: AuditDraft): Promise<RoleMapping> {
    return this.ctx.write(mapping.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, mapping.orgId);
      await tx
        .exec('INSERT INTO role_mappings (id, org_id, version, data) VALUES ($1, $2, $3, $4)', [mapping.id, mapping.orgId, mapping.version, JSON.stringify(mapping)])
        .catch((err: unknown) => {
          throw isUniqueViolation(err, 'role_mappings_org_id') ? roleMappingExists(mapping.id) : err;
        });
      await this.ctx.appendTx(tx, audit);
      return mapping;
    });
  }

  async getRoleMapping(orgId: string, id: string): Promise<RoleMapping | undefined> {
    return this.ctx.read((sql) => this.ctx.record<RoleMapping>(sql, 'role_mappings', orgId, id));
  }

  async listRoleMappings(orgId: string): Promise<RoleMapping[]> {
    return this.ctx.read(async (sql) => (await sql.rows<DataRow>('SELECT data FROM role_mappings WHERE org_id = $1 ORDER BY seq', [orgId])).map((r) => parse<RoleMapping>(r)!));
  }

  async updateRoleMapping(orgId: string, id: string, updater: Updater<RoleMapping>, opts?: UpdateOptions): Promise<UpdateResult<RoleMapping>> {
    return this.ctx.write(orgId, async (tx) => {
      const current = await this.ctx.record<RoleMapping>(tx, 'role_mappings', orgId, id, true);
      if (!current) throw roleMappingNotFound(id);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE role_mappings SET version = $1, data = $2 WHERE org_id = $3 AND id = $4', [next.version, JSON.stringify(next), orgId, id]);
      });
    });
  }

  async deleteRoleMapping(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    await this.ctx.write(orgId, async (tx) => {
      if ((await tx.exec('DELETE FROM role_mappings WHERE org_id = $1 AND id = $2', [orgId, id])) === 0) throw roleMappingNotFound(id);
      await this.ctx.appendTx(tx, audit);
    });
  }
}
