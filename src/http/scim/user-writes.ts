import SCIMMY from 'scimmy';
import { isIdsyncError } from '../../domain/errors.js';
import { KeyedMutex } from '../../runtime/keyed-mutex.js';
import type { Member } from '../../domain/model.js';
import type { ScimContext } from './context.js';
import { ScimError } from './errors.js';
import { checkIfMatchHeader, type ScimOutcome } from './http-util.js';
import { normalizePatchBody, normalizeResource, type PatchOperation } from './normalize.js';
import { applyUserPatch } from './patch-user.js';
import type { UserResources } from './user-resources.js';
import { profileFromScim, type ScimJson } from './user-mapper.js';
import type { ScimDeps } from './users.js';
import { openSubAttributeVocabularies } from './vocabularies.js';

/**
 * Without If-Match a PATCH re-reads and re-applies after losing a compare-and-swap until it wins:
 * the client asked for no version check, so it never sees a 412. Bounded by time, not a count,
 * since how many lose depends on how many race (Okta and Entra send dozens in parallel).
 */
const PATCH_RETRY_MS = 10_000;

/**
 * PATCHes of one user without If-Match take turns in this process (a crowd of 32 from one IdP
 * otherwise made every loser re-read and re-apply, O(n²) store round trips: on PostgreSQL, past the
 * retry deadline under load). Racers on other replicas are still caught by the compare-and-swap.
 * Shared by every router of the process (the routes and Bulk): keys carry the org id.
 */
const patchTurns = new KeyedMutex(PATCH_RETRY_MS, () => new ScimError(503, 'too many changes of this user are waiting their turn; retry shortly', undefined, { 'Retry-After': '1' }));

/** The SCIM User writes, apart from HTTP: the routes and each Bulk operation call these. */
export function userWrites(deps: ScimDeps, users: UserResources) {
  openSubAttributeVocabularies();
  const { store, services, baseUrl } = deps;
  const { render, live } = users;
  const created = async (m: Member, status: number): Promise<ScimOutcome> => ({ status, body: await render(m, true), version: m.version, location: `${baseUrl}/Users/${m.id}` });
  /**
   * After the profile write: the teams the IdP's `entitlements` add or drop (Okta), then the role it
   * sends in `roles` (Entra app roles, Okta roles), by the role rule, which sees the new teams.
   */
  const withIdpRole = async (ctx: ScimContext, m: Member, before?: Member) => {
    const meta = { actor: ctx.actor, source: 'scim' as const };
    await services.idpEntitlements.apply(ctx.orgId, before, m, meta);
    return services.roleMappings.afterUserWrite(ctx.orgId, m, meta);
  };
  /** An entitlement naming no team of the org is refused before anything is written. */
  const checkEntitlements = async (ctx: ScimContext, attributes: Record<string, unknown>) => {
    const unknown = await services.idpEntitlements.unknownTeams(ctx.orgId, attributes.entitlements);
    if (unknown.length > 0) throw new ScimError(400, `entitlements value ${unknown.map((v) => `"${v}"`).join(', ')} names no entitlement of this organization (GET /Entitlements lists them)`, 'invalidValue');
    await services.idpEntitlements.assertWritable(ctx.orgId, attributes.entitlements, ctx.actor);
  };

  async function create(ctx: ScimContext, raw: unknown): Promise<ScimOutcome> {
    const { orgId, actor, writer } = ctx;
    const body = new SCIMMY.Schemas.User(normalizeResource(raw) as ScimJson, 'in') as unknown as ScimJson;
    const { profile, active } = profileFromScim(body);
    await checkEntitlements(ctx, profile.attributes);
    const existing = await store.findMemberByUserName(orgId, profile.userName);
    if (!existing) return created(await withIdpRole(ctx, await services.provisioning.create(orgId, profile, active ?? true, actor, writer, 'provisioned inactive by SCIM')), 201);
    const org = await services.orgs.get(orgId);
    if (existing.managedBy.kind === 'scim' || org.settings.scimAdoption === false) {
      throw new ScimError(409, `userName ${profile.userName} is already taken in this organization`, 'uniqueness');
    }
    try {
      const change = { profile, adoptAs: writer, ...(active !== undefined ? { active } : {}) };
      return created(await withIdpRole(ctx, (await services.provisioning.update(orgId, existing.id, change, actor, writer, { reason: 'adopted by SCIM provisioning' })).member, existing), 201);
    } catch (err) {
      if (isIdsyncError(err, 'member.managed_elsewhere')) throw new ScimError(409, `userName ${profile.userName} belongs to a member SCIM may not adopt: ${err.message}`, 'uniqueness');
      throw err;
    }
  }

  async function replace(ctx: ScimContext, id: string, raw: unknown, ifMatch: string | undefined): Promise<ScimOutcome> {
    const { orgId, actor, writer } = ctx;
    const current = await live(orgId, id);
    const ifVersion = checkIfMatchHeader(ifMatch, current.version);
    const body = new SCIMMY.Schemas.User(normalizeResource(raw) as ScimJson, 'in') as unknown as ScimJson;
    const { profile, active } = profileFromScim(body);
    await checkEntitlements(ctx, profile.attributes);
    // PUT replaces the profile, but a PUT without `active` deactivates nobody. Without If-Match the
    // store's own compare-and-swap retries a lost race: PUT is absolute, nothing to re-apply.
    const written = await services.provisioning.update(orgId, current.id, { profile, ...(active !== undefined ? { active } : {}) }, actor, writer, ifVersion === undefined ? {} : { ifVersion });
    const member = await withIdpRole(ctx, written.member, current);
    return { status: 200, body: await render(member, true), version: member.version };
  }

  async function patch(ctx: ScimContext, id: string, raw: unknown, ifMatch: string | undefined): Promise<ScimOutcome> {
    // With If-Match the client wants its version checked, so no turn: a 412 is the right answer.
    return ifMatch === undefined ? patchTurns.run(`${ctx.orgId}\u0000${id}`, () => patchOnce(ctx, id, raw, undefined)) : patchOnce(ctx, id, raw, ifMatch);
  }

  async function patchOnce(ctx: ScimContext, id: string, raw: unknown, ifMatch: string | undefined): Promise<ScimOutcome> {
    const { orgId, actor, writer } = ctx;
    const body = normalizePatchBody(raw) as { Operations?: PatchOperation[] };
    let current = await live(orgId, id);
    // The version the patch was applied to (its entitlements are what the IdP sent before).
    let before = current;
    const ifVersion = checkIfMatchHeader(ifMatch, current.version);
    if (Array.isArray(body.Operations) && body.Operations.length === 0) return { status: 200, body: await render(current, true), version: current.version };
    // Validates the message (schemas, op names, paths) before anything is read.
    const ops = new SCIMMY.Messages.PatchOp(body as ConstructorParameters<typeof SCIMMY.Messages.PatchOp>[0]).Operations as PatchOperation[];
    // Read, apply, write with compare-and-swap; a concurrent writer makes us re-read and re-apply,
    // so concurrent PATCHes never lose each other's changes.
    const deadline = Date.now() + PATCH_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      const patched = await applyUserPatch(ops, await render(current, false));
      if (!patched) break;
      const { profile, active } = profileFromScim(patched);
      await checkEntitlements(ctx, profile.attributes);
      try {
        before = current;
        current = (await services.provisioning.update(orgId, current.id, { profile, ...(active !== undefined ? { active } : {}) }, actor, writer, { ifVersion: current.version })).member;
        break;
      } catch (err) {
        if (!isIdsyncError(err, 'version.mismatch') || ifVersion !== undefined || Date.now() > deadline) throw err;
        // Spread the losers out a little so a crowd does not collide again on the same version.
        if (attempt >= 2) await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
        current = await live(orgId, current.id);
      }
    }
    current = await withIdpRole(ctx, current, before);
    return { status: 200, body: await render(current, true), version: current.version };
  }

  async function remove(ctx: ScimContext, id: string, ifMatch: string | undefined): Promise<ScimOutcome> {
    const { orgId, actor, writer } = ctx;
    const current = await live(orgId, id);
    checkIfMatchHeader(ifMatch, current.version);
    await services.members.remove(orgId, current.id, actor, 'deleted by SCIM provisioning', writer);
    return { status: 204 };
  }

  return { create, replace, patch, remove };
}

export type UserWrites = ReturnType<typeof userWrites>;
