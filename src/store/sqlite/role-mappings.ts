import type { AuditDraft, RoleMapping } from '../../domain/model.js';
import type { RoleMappingStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { roleMappingExists, roleMappingNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** Role mappings: one JSON row per (org, id), listed in creation order. */
export class SqliteRoleMappings implements RoleMappingStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createRoleMapping(mapping: RoleMapping, audit: AuditDraft): Promise<RoleMapping> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(mapping.orgId);
      if (this.ctx.recordTx<RoleMapping>('role_mappings', mapping.orgId, mapping.id)) throw roleMappingExists(mapping.id);
      this.ctx.stmt('INSERT INTO role_mappings (id, org_id, version, data) VALUES (?, ?, ?, ?)').run(mapping.id, mapping.orgId, mapping.version, JSON.stringify(mapping));
      this.ctx.appendTx(audit);
      return mapping;
    });
  }

  async getRoleMapping(orgId: string, id: string): Promise<RoleMapping | undefined> {
    return this.ctx.run(() => this.ctx.recordTx<RoleMapping>('role_mappings', orgId, id));
  }

  async listRoleMappings(orgId: string): Promise<RoleMapping[]> {
    return this.ctx.run(() => (this.ctx.stmt('SELECT data FROM role_mappings WHERE org_id = ? ORDER BY seq').all(orgId) as DataRow[]).map((r) => parse<RoleMapping>(r)!));
  }

  async updateRoleMapping(orgId: string, id: string, updater: Updater<RoleMapping>, opts?: UpdateOptions): Promise<UpdateResult<RoleMapping>> {
    return this.ctx.write(() => {
      const current = this.ctx.recordTx<RoleMapping>('role_mappings', orgId, id);
      if (!current) throw roleMappingNotFound(id);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE role_mappings SET version = ?, data = ? WHERE org_id = ? AND id = ?').run(next.version, JSON.stringify(next), orgId, id);
      });
    });
  }

  async deleteRoleMapping(orgId: string, id: string, audit: AuditDraft): Promise<void> {
    this.ctx.write(() => {
      if (this.ctx.stmt('DELETE FROM role_mappings WHERE org_id = ? AND id = ?').run(orgId, id).changes === 0) throw roleMappingNotFound(id);
      this.ctx.appendTx(audit);
    });
  }
}
