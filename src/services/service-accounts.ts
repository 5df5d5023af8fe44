import { z } from 'zod';
import { IdsyncError } from '../domain/errors.js';
import { serviceAccount } from '../domain/member-rules.js';
import type { Actor, Member } from '../domain/model.js';
import { collect } from '../ports/paging.js';
import type { CredentialService, PublicAdminKey } from './credentials.js';
import type { ServiceDeps } from './deps.js';
import { openOrg } from './merge/sides.js';
import type { MemberWriter } from './members/writer.js';
import { parseInput } from './validate.js';

const createSchema = z.object({ name: z.string().trim().min(1).max(100), role: z.enum(['admin', 'member']).default('member') });
export type CreateServiceAccountInput = z.input<typeof createSchema>;

export interface ServiceAccountView {
  account: Member;
  /** Its live credential, when it has one (without the secret). */
  credential?: PublicAdminKey;
}

/**
 * Service accounts (InfluxDB's "system account"): members of kind `service` that an admin creates
 * by name for an application. Each has its own org-scoped credential, an admin key bound to it: the
 * key acts with the account's role and is audited as actor kind `service`. Created, rotated (a new
 * secret, the old one revoked at once) and revoked through the credentials area; the reconciler,
 * SCIM and the join flows never see them, and member lists count them apart from people.
 */
export class ServiceAccountService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly writer: MemberWriter,
    private readonly credentials: CredentialService,
  ) {}

  /** The secret is returned here (and by rotate) once and never again. */
  async create(orgId: string, input: CreateServiceAccountInput, actor: Actor): Promise<{ account: Member; credential: PublicAdminKey; key: string }> {
    const data = parseInput(createSchema, input);
    await openOrg(this.deps, orgId);
    const account = await this.writer.create(serviceAccount(this.writer.birth(orgId), data), { actor, reason: 'service account created' });
    const { key, record } = await this.credentials.createAdminKey(actor, { orgId, label: `service account ${account.displayName}`, serviceAccountId: account.id });
    return { account, credential: record, key };
  }

  async list(orgId: string): Promise<ServiceAccountView[]> {
    await openOrg(this.deps, orgId);
    const accounts = await collect((page) => this.deps.store.listMembers(orgId, { ...page, kinds: ['service'], statuses: ['active', 'inactive'] }));
    const keys = await this.liveKeys(orgId);
    return accounts.map((account) => {
      const credential = keys.find((k) => k.serviceAccountId === account.id);
      return { account, ...(credential ? { credential } : {}) };
    });
  }

  async rotate(orgId: string, id: string, actor: Actor): Promise<{ account: Member; credential: PublicAdminKey; key: string; revoked: string[] }> {
    const account = await this.get(orgId, id);
    if (account.status !== 'active') throw new IdsyncError('member.removed', `service account ${id} is ${account.status}`, { memberId: id });
    const old = (await this.liveKeys(orgId)).filter((k) => k.serviceAccountId === id);
    const { key, record } = await this.credentials.createAdminKey(actor, { orgId, label: `service account ${account.displayName}`, serviceAccountId: id });
    for (const k of old) await this.credentials.revokeAdminKey(k.id, actor);
    return { account, credential: record, key, revoked: old.map((k) => k.id) };
  }

  /** Revokes its credential: the application is locked out; the account stays (rotate issues a new one). */
  async revoke(orgId: string, id: string, actor: Actor): Promise<{ account: Member; revoked: string[] }> {
    const account = await this.get(orgId, id);
    const old = (await this.liveKeys(orgId)).filter((k) => k.serviceAccountId === id);
    for (const k of old) await this.credentials.revokeAdminKey(k.id, actor);
    return { account, revoked: old.map((k) => k.id) };
  }

  async get(orgId: string, id: string): Promise<Member> {
    await openOrg(this.deps, orgId);
    const m = await this.deps.store.getMember(orgId, id);
    if (!m || m.kind !== 'service' || m.status === 'removed') throw new IdsyncError('member.not_found', `service account ${id} not found`, { memberId: id });
    return m;
  }

  private async liveKeys(orgId: string): Promise<PublicAdminKey[]> {
    return (await this.credentials.listAdminKeys(orgId)).filter((k) => !k.revokedAt && k.serviceAccountId);
  }
}
