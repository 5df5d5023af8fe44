import SCIMMY from 'scimmy';
import type { Team } from '../../domain/model.js';
import type { ScimContext } from './context.js';
import { ScimError } from './errors.js';
import { idsFromMemberFilter, memberValues, type GroupResources } from './group-resources.js';
import { checkIfMatchHeader, type ScimOutcome } from './http-util.js';
import { parseListQuery } from './list.js';
import { normalizePatchBody, normalizeResource, type PatchOperation } from './normalize.js';
import { project, wants } from './projection.js';
import type { ScimDeps } from './users.js';

type Json = Record<string, unknown>;

/** The SCIM Group writes, apart from HTTP: the routes and each Bulk operation call these. */
export function groupWrites(deps: ScimDeps, groups: GroupResources) {
  const { store, services, baseUrl } = deps;
  const { render, team, withMemberCheck } = groups;

  /** Roles follow group membership: the members a write touched are re-evaluated against the role mappings. */
  const rolesAfter = (ctx: ScimContext, change: { before?: Team; after?: Team; memberIds: readonly string[] | (() => Promise<string[]>) }) =>
    services.roleMappings.afterGroupChange(ctx.orgId, change, { actor: ctx.actor, source: 'scim' });
  const renamed = (a: Team, b: Team) => a.displayName !== b.displayName || a.externalId !== b.externalId;

  async function create(ctx: ScimContext, raw: unknown): Promise<ScimOutcome> {
    const { orgId, actor } = ctx;
    const body = new SCIMMY.Schemas.Group(normalizeResource(raw) as Json, 'in') as unknown as Json;
    const ids = memberValues(body.members, 'members');
    const created = await services.teams.create(orgId, { displayName: String(body.displayName ?? ''), ...(typeof body.externalId === 'string' ? { externalId: body.externalId } : {}) }, actor);
    if (ids.length) {
      try {
        await withMemberCheck(() => services.teams.addMembers(orgId, created.id, ids, actor));
      } catch (err) {
        await services.teams.delete(orgId, created.id, actor);
        throw err;
      }
      await rolesAfter(ctx, { after: created, memberIds: ids });
    }
    return { status: 201, body: await render(created, true), version: created.version, location: `${baseUrl}/Groups/${created.id}` };
  }

  async function replace(ctx: ScimContext, id: string, raw: unknown, ifMatch: string | undefined): Promise<ScimOutcome> {
    const { orgId, actor } = ctx;
    const current = await team(orgId, id);
    const ifVersion = checkIfMatchHeader(ifMatch, current.version);
    const body = new SCIMMY.Schemas.Group(normalizeResource(raw) as Json, 'in') as unknown as Json;
    const updated = await services.teams.update(orgId, current.id, { displayName: String(body.displayName ?? ''), externalId: typeof body.externalId === 'string' ? body.externalId : null }, actor, ifVersion);
    const { added, removed } = await withMemberCheck(() => services.teams.setMembers(orgId, current.id, memberValues(body.members, 'members'), actor));
    const ids = renamed(current, updated) ? async () => [...(await services.teams.memberIds(orgId, current.id)), ...removed] : [...added, ...removed];
    await rolesAfter(ctx, { before: current, after: updated, memberIds: ids });
    return { status: 200, body: await render(updated, true), version: updated.version };
  }

  /** `query`: the request's attributes/excludedAttributes, which decide between 204 and a projected 200. */
  async function patch(ctx: ScimContext, id: string, raw: unknown, ifMatch: string | undefined, query: Json = {}): Promise<ScimOutcome> {
    const { orgId, actor } = ctx;
    const body = normalizePatchBody(raw) as { Operations?: unknown };
    const current = await team(orgId, id);
    const ifVersion = checkIfMatchHeader(ifMatch, current.version);
    const ops = (Array.isArray(body.Operations) && body.Operations.length === 0
      ? []
      : new SCIMMY.Messages.PatchOp(body as ConstructorParameters<typeof SCIMMY.Messages.PatchOp>[0]).Operations) as PatchOperation[];
    let latest = current;
    const touched: string[] = [];
    const took = (ids: string[] | { added: string[]; removed: string[] }) => void touched.push(...(Array.isArray(ids) ? ids : [...ids.added, ...ids.removed]));
    // If-Match guards the first attribute write; later ones in the same PATCH follow our own writes.
    let guard = ifVersion;
    const takeGuard = () => {
      const g = guard;
      guard = undefined;
      return g;
    };
    const applyAll = async (): Promise<void> => {
      for (const [i, op] of ops.entries()) {
        const where = `operation ${i + 1}`;
        const path = op.path?.trim();
        const lower = path?.toLowerCase();
        if (!path) {
          if (op.op === 'remove') throw new ScimError(400, `${where}: remove needs a path`, 'noTarget');
          if (op.value === null || typeof op.value !== 'object' || Array.isArray(op.value)) throw new ScimError(400, `${where}: a path-less ${op.op} needs an object value`, 'invalidValue');
          const v = op.value as Json;
          const key = (name: string) => Object.keys(v).find((k) => k.toLowerCase() === name);
          const dn = key('displayname');
          const ext = key('externalid');
          if (dn || ext) {
            latest = await services.teams.update(orgId, current.id, { ...(dn ? { displayName: String(v[dn]) } : {}), ...(ext ? { externalId: v[ext] === null ? null : String(v[ext]) } : {}) }, actor, takeGuard());
          }
          const mk = key('members');
          if (mk) {
            const ids = memberValues(v[mk], where);
            took(await withMemberCheck(async (): Promise<string[] | { added: string[]; removed: string[] }> => (op.op === 'add' ? services.teams.addMembers(orgId, current.id, ids, actor) : services.teams.setMembers(orgId, current.id, ids, actor))));
          }
          continue;
        }
        if (lower === 'members') {
          const ids = memberValues(op.value, where);
          if (op.op === 'add') took(await withMemberCheck(() => services.teams.addMembers(orgId, current.id, ids, actor)));
          else if (op.op === 'replace') took(await withMemberCheck(() => services.teams.setMembers(orgId, current.id, ids, actor)));
          // Entra (without aadOptscim062020) removes by value; a bare remove empties the group (RFC 7644 §3.5.2.2).
          else if (op.value !== undefined) took(await services.teams.removeMembers(orgId, current.id, ids, actor));
          else took(await services.teams.setMembers(orgId, current.id, [], actor));
          continue;
        }
        if (lower?.startsWith('members[')) {
          if (op.op !== 'remove') throw new ScimError(400, `${where}: only remove may target members[…]`, 'invalidPath');
          const ids = idsFromMemberFilter(path!);
          if (!ids) throw new ScimError(400, `${where}: members filter must be value eq "id" (or several joined by or)`, 'invalidFilter');
          took(await services.teams.removeMembers(orgId, current.id, ids, actor));
          continue;
        }
        if (lower === 'displayname' || lower === 'externalid') {
          if (op.op === 'remove' && lower === 'displayname') throw new ScimError(400, `${where}: displayName is required`, 'mutability');
          const value = op.op === 'remove' ? null : op.value;
          if (lower === 'displayname' && typeof value !== 'string') throw new ScimError(400, `${where}: displayName must be a string`, 'invalidValue');
          latest = await services.teams.update(orgId, current.id, lower === 'displayname' ? { displayName: value as string } : { externalId: value === null ? null : String(value) }, actor, takeGuard());
          continue;
        }
        throw new ScimError(400, `${where}: unsupported path '${path}' for a Group`, 'invalidPath');
      }
    };
    try {
      await applyAll();
    } catch (err) {
      // The operations before the failing one stay applied (as they always have): the roles of the
      // members they touched follow them before the error is answered.
      await rolesAfter(ctx, { before: current, after: latest, memberIds: touched });
      throw err;
    }
    const fresh = (await store.getTeam(orgId, current.id)) ?? latest;
    await rolesAfter(ctx, { before: current, after: fresh, memberIds: renamed(current, fresh) ? async () => [...(await services.teams.memberIds(orgId, current.id)), ...touched] : touched });
    // RFC 7644 §3.5.2 lets a PATCH answer 204; Okta and Entra both document 204 for group PATCH
    // and send no query parameters, so a member add costs the same at 50,000 members as at 5. A
    // client that asks for attributes gets them (200), members loaded only when it wants them.
    const q = parseListQuery(query);
    if (!q.projection.include && !q.projection.exclude) return { status: 204, version: fresh.version };
    return { status: 200, body: project(await render(fresh, wants(q.projection, 'members')), q.projection), version: fresh.version };
  }

  async function remove(ctx: ScimContext, id: string, ifMatch: string | undefined): Promise<ScimOutcome> {
    const { orgId, actor } = ctx;
    const current = await team(orgId, id);
    checkIfMatchHeader(ifMatch, current.version);
    // The members are read before the group goes, and only when a mapping names it.
    const members = (await services.roleMappings.isTeamMapped(orgId, current)) ? await services.teams.memberIds(orgId, current.id) : [];
    await services.teams.delete(orgId, current.id, actor);
    await rolesAfter(ctx, { before: current, memberIds: members });
    return { status: 204 };
  }

  return { create, replace, patch, remove };
}

export type GroupWrites = ReturnType<typeof groupWrites>;
