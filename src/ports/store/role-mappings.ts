import type { AuditDraft, RoleMapping } from '../../domain/model.js';
import type { UpdateOptions, UpdateResult, Updater } from './types.js';

/**
 * An org's role mappings (upstream group -> role). Few per org (tens, at most a few thousand), so
 * they are listed whole, in creation order. A mapping's id is derived from its source and group,
 * so a second mapping of one group is refused with `role_mapping.exists`.
 */
export interface RoleMappingStore {
  /** Throws `org.not_found`, or `role_mapping.exists` when the org has a mapping with this id. */
  createRoleMapping(mapping: RoleMapping, audit: AuditDraft): Promise<RoleMapping>;
  getRoleMapping(orgId: string, id: string): Promise<RoleMapping | undefined>;
  listRoleMappings(orgId: string): Promise<RoleMapping[]>;
  /** Compare-and-swap (see Updater); throws `role_mapping.not_found`. */
  updateRoleMapping(orgId: string, id: string, updater: Updater<RoleMapping>, opts?: UpdateOptions): Promise<UpdateResult<RoleMapping>>;
  /** Throws `role_mapping.not_found`. */
  deleteRoleMapping(orgId: string, id: string, audit: AuditDraft): Promise<void>;
}
