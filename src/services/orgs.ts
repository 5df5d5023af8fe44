import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError } from '../domain/errors.js';
import { DEFAULT_ORG_SETTINGS, type Actor, type Organization, type OrgSettings } from '../domain/model.js';
import type { Page, PageRequest } from '../ports/store.js';
import type { ServiceDeps } from './deps.js';
import { openOrg } from './merge/sides.js';
import { parseInput } from './validate.js';
import { continueUrlProblem } from '../domain/signup.js';

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](-?[a-z0-9])*\.)+[a-z]{2,}$/, 'expected a domain such as example.com');

const settingsSchema = z
  .object({
    inviteTtlHours: z.number().int().min(1).max(24 * 90),
    pendingInviteCap: z.number().int().min(0).max(10_000),
    allowedDomains: z.array(domain).max(100),
    scimAdoption: z.boolean(),
    ownerByMapping: z.boolean(),
    manualOverridesWin: z.boolean(),
    continueUrl: z.string().trim().refine((v) => v === '' || continueUrlProblem(v) === undefined, 'expected an absolute https URL (http only for localhost)'),
  })
  .strict();

const createSchema = z.object({
  name: z.string().trim().min(1, 'name is required').max(200),
  settings: settingsSchema.partial().optional(),
});

export class OrgService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(input: { name: string; settings?: Partial<OrgSettings> }, actor: Actor): Promise<Organization> {
    const { name, settings } = parseInput(createSchema, input);
    const at = this.deps.clock.now().toISOString();
    const org: Organization = {
      id: randomUUID(),
      name,
      settings: { ...DEFAULT_ORG_SETTINGS, allowedDomains: [], ...settings },
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createOrg(org, { orgId: org.id, actor, action: 'org.created', target: { type: 'org', id: org.id }, after: org });
    this.deps.logger.info('organization created', { orgId: org.id });
    return org;
  }

  async get(id: string): Promise<Organization> {
    const org = await this.deps.store.getOrg(id);
    if (!org) throw new IdsyncError('org.not_found', `organization ${id} not found`, { orgId: id });
    return org;
  }

  list(page?: PageRequest): Promise<Page<Organization>> {
    return this.deps.store.listOrgs(page);
  }

  async update(id: string, input: { name?: string; settings?: Partial<OrgSettings> }, actor: Actor, ifVersion?: number): Promise<Organization> {
    const patch = parseInput(createSchema.partial(), input);
    await openOrg(this.deps, id);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateOrg(
      id,
      (cur) => {
        const next: Organization = { ...cur, name: patch.name ?? cur.name, settings: { ...cur.settings, ...patch.settings } };
        if (JSON.stringify(next) === JSON.stringify(cur)) return null;
        return {
          next: { ...next, updatedAt: at },
          audit: { orgId: id, actor, action: 'org.updated', target: { type: 'org', id }, before: { name: cur.name, settings: cur.settings }, after: { name: next.name, settings: next.settings } },
        };
      },
      ifVersion === undefined ? undefined : { ifVersion },
    );
    return record;
  }
}
