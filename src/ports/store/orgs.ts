import type { AuditDraft, Organization } from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from './types.js';

/** Organizations: the tenants every other record belongs to. */
export interface OrgStore {
  createOrg(org: Organization, audit: AuditDraft): Promise<Organization>;
  getOrg(id: string): Promise<Organization | undefined>;
  /** Ordered by creation. */
  listOrgs(page?: PageRequest): Promise<Page<Organization>>;
  updateOrg(id: string, updater: Updater<Organization>, opts?: UpdateOptions): Promise<UpdateResult<Organization>>;
}
