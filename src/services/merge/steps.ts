import { IdsyncError } from '../../domain/errors.js';
import type { ConnectionStep, CredentialStep, InvitationStep, LinkStep, MemberStep, MergePlan, TeamStep } from '../../domain/merge-plan.js';
import { foldedMember, memberFromMerge } from '../../domain/member-rules.js';
import type { Actor, AuditDraft, DirectoryConnection, InviteLink, Team } from '../../domain/model.js';
import type { ServiceDeps } from '../deps.js';
import type { InvitationService } from '../invitations/service.js';
import { joinUrl, mintLinkToken } from '../invitations/tokens.js';
import type { MemberWriter } from '../members/writer.js';

export interface StepContext {
  deps: ServiceDeps;
  writer: MemberWriter;
  invitations: InvitationService;
  publicUrl: string;
  actor: Actor;
  plan: MergePlan;
  linkUrls: { sourceLinkId: string; linkId: string; url: string }[];
}

/** One unit of a merge, applied and then marked done in the journal under `key`. */
export type Step =
  | { key: string; kind: 'start' | 'close' }
  | { key: string; kind: 'credential'; step: CredentialStep }
  | { key: string; kind: 'connection'; step: ConnectionStep }
  | { key: string; kind: 'team'; step: TeamStep }
  | { key: string; kind: 'member'; step: MemberStep }
  | { key: string; kind: 'team-members'; step: TeamStep }
  | { key: string; kind: 'invitation'; step: InvitationStep }
  | { key: string; kind: 'link'; step: LinkStep };

/**
 * The order the plan is applied in: the source is marked `merging` first; its credentials go next
 * (its IdP stops writing into it), then its connections (its reconciler stops), then teams, people,
 * team memberships, invitations and links; the source is closed last.
 */
export function mergeSteps(p: MergePlan): Step[] {
  return [
    { key: 'start', kind: 'start' },
    ...p.credentials.map((step): Step => ({ key: `credential:${step.id}`, kind: 'credential', step })),
    ...p.connections.map((step): Step => ({ key: `connection:${step.sourceConnectionId}`, kind: 'connection', step })),
    ...p.teams.map((step): Step => ({ key: `team:${step.sourceTeamId}`, kind: 'team', step })),
    ...p.members.map((step): Step => ({ key: `member:${step.sourceMemberId}`, kind: 'member', step })),
    ...p.teams.map((step): Step => ({ key: `team-members:${step.sourceTeamId}`, kind: 'team-members', step })),
    ...p.invitations.map((step): Step => ({ key: `invitation:${step.sourceInvitationId}`, kind: 'invitation', step })),
    ...p.links.map((step): Step => ({ key: `link:${step.sourceLinkId}`, kind: 'link', step })),
    { key: 'close', kind: 'close' },
  ];
}

/** Applies one step; each finds its own earlier write and does nothing when run a second time. */
export async function applyStep(ctx: StepContext, step: Step): Promise<void> {
  switch (step.kind) {
    case 'start':
      return start(ctx);
    case 'credential':
      return revokeCredential(ctx, step.step);
    case 'connection':
      return moveConnection(ctx, step.step);
    case 'team':
      return createTeam(ctx, step.step);
    case 'member':
      return moveMember(ctx, step.step);
    case 'team-members':
      return addTeamMembers(ctx, step.step);
    case 'invitation':
      return moveInvitation(ctx, step.step);
    case 'link':
      return moveLink(ctx, step.step);
    case 'close':
      return close(ctx);
  }
}

const now = (ctx: StepContext) => ctx.deps.clock.now().toISOString();
const S = (ctx: StepContext) => ctx.plan.sourceOrgId;
const T = (ctx: StepContext) => ctx.plan.targetOrgId;

function draft(ctx: StepContext, orgId: string, action: string, target: { type: string; id: string }, extra: Partial<AuditDraft> = {}): AuditDraft {
  return { orgId, actor: ctx.actor, action, target, source: 'merge', ...extra };
}

async function start(ctx: StepContext): Promise<void> {
  const at = now(ctx);
  await ctx.deps.store.updateOrg(S(ctx), (o) =>
    o.state === 'merging' || o.state === 'merged'
      ? null
      : { next: { ...o, state: 'merging', mergedInto: T(ctx), updatedAt: at }, audit: draft(ctx, o.id, 'org.merge_started', { type: 'org', id: o.id }, { after: { mergedInto: T(ctx) } }) },
  );
}

async function revokeCredential(ctx: StepContext, c: CredentialStep): Promise<void> {
  const at = now(ctx);
  if (c.kind === 'admin_key') {
    await ctx.deps.store.revokeAdminKey(c.id, at, draft(ctx, S(ctx), 'admin_key.revoked', { type: 'admin_key', id: c.id }, { reason: c.reason }));
    return;
  }
  if (c.kind === 'scim_token') {
    await ctx.deps.store.revokeScimToken(S(ctx), c.id, at, draft(ctx, S(ctx), 'scim_token.revoked', { type: 'scim_token', id: c.id }, { reason: c.reason }));
    return;
  }
  await ctx.deps.store.updateScimClient(c.id, (cur) => (cur.revokedAt ? null : { next: { ...cur, revokedAt: at }, audit: draft(ctx, S(ctx), 'scim_client.revoked', { type: 'scim_client', id: c.id }, { reason: c.reason }) }));
}

async function moveConnection(ctx: StepContext, c: ConnectionStep): Promise<void> {
  const { store } = ctx.deps;
  if (c.kind === 'refuse') {
    await store.updateConnection(S(ctx), c.sourceConnectionId, (cur) =>
      cur.enabled ? { next: { ...cur, enabled: false, updatedAt: now(ctx) }, audit: draft(ctx, S(ctx), 'connection.updated', { type: 'connection', id: cur.id }, { before: { enabled: true }, after: { enabled: false }, reason: c.reason }) } : null,
    );
    return;
  }
  const old = await store.getConnection(c.sourceConnectionId);
  if (!(await store.getConnection(c.newConnectionId))) {
    if (!old) throw new IdsyncError('connection.not_found', `directory connection ${c.sourceConnectionId} is gone before it was moved`, { connectionId: c.sourceConnectionId });
    const at = now(ctx);
    const { lastRunId: _r, lastRunAt: _a, ...rest } = old;
    // Sync state is keyed by the source's member ids: the first run in the target starts afresh.
    const moved: DirectoryConnection = { ...rest, id: c.newConnectionId, orgId: T(ctx), syncState: {}, health: 'unknown', createdAt: at, updatedAt: at, version: 1 };
    await store.createConnection(moved, draft(ctx, T(ctx), 'connection.created', { type: 'connection', id: moved.id }, { after: { provider: moved.provider, name: moved.name, movedFrom: { orgId: S(ctx), connectionId: old.id } } }));
  }
  if (old && old.orgId === S(ctx)) {
    await store.deleteConnection(S(ctx), old.id, draft(ctx, S(ctx), 'connection.deleted', { type: 'connection', id: old.id }, { reason: `moved to ${T(ctx)} as ${c.newConnectionId}` }));
  }
}

async function createTeam(ctx: StepContext, t: TeamStep): Promise<void> {
  if (t.kind !== 'create' || (await ctx.deps.store.getTeam(T(ctx), t.targetTeamId))) return;
  const src = await ctx.deps.store.getTeam(S(ctx), t.sourceTeamId);
  const at = now(ctx);
  const team: Team = { id: t.targetTeamId, orgId: T(ctx), displayName: t.displayName, ...(src?.externalId ? { externalId: src.externalId } : {}), createdAt: at, updatedAt: at, version: 1 };
  await ctx.deps.store.createTeam(team, draft(ctx, T(ctx), 'team.created', { type: 'team', id: team.id }, { after: { displayName: team.displayName, mergedFrom: { orgId: S(ctx), teamId: t.sourceTeamId } } }));
}

async function addTeamMembers(ctx: StepContext, t: TeamStep): Promise<void> {
  if (t.memberIds.length === 0) return;
  await ctx.deps.store.addTeamMembers(T(ctx), t.targetTeamId, t.memberIds, draft(ctx, T(ctx), 'team.members_added', { type: 'team', id: t.targetTeamId }, { after: { memberIds: t.memberIds, mergedFrom: { orgId: S(ctx), teamId: t.sourceTeamId } } }));
}

async function moveMember(ctx: StepContext, m: MemberStep): Promise<void> {
  const meta = { actor: ctx.actor, source: 'merge' as const, reason: `merged from ${S(ctx)}` };
  const mergedFrom = { mergedFrom: { orgId: S(ctx), memberId: m.sourceMemberId } };
  if (m.kind === 'fold') {
    await ctx.writer.update(T(ctx), m.targetMemberId, meta, { kind: 'admin' }, (cur) => {
      const next = foldedMember(cur, m.role, m.identitiesAdded);
      return next ? { next, action: 'member.merged', detail: mergedFrom } : null;
    });
    return;
  }
  if (await ctx.deps.store.getMember(T(ctx), m.newMemberId)) return;
  const source = await ctx.deps.store.getMember(S(ctx), m.sourceMemberId);
  if (!source || source.status === 'removed') throw new IdsyncError('member.not_found', `member ${m.sourceMemberId} of ${S(ctx)} is gone before it was merged`, { memberId: m.sourceMemberId });
  const target = await ctx.writer.org(T(ctx));
  const member = memberFromMerge(ctx.writer.birth(T(ctx), m.newMemberId), target, source, { role: m.role, managedBy: m.managedBy, identities: m.identities });
  await ctx.writer.create(member, meta, mergedFrom);
}

async function moveInvitation(ctx: StepContext, i: InvitationStep): Promise<void> {
  const { store } = ctx.deps;
  if (i.kind === 'move') {
    const nowMs = ctx.deps.clock.now().getTime();
    const already = (await store.listPendingInvitationsForEmail(T(ctx), i.email)).some((x) => Date.parse(x.expiresAt) > nowMs);
    if (!already) {
      const src = await store.getInvitation(S(ctx), i.sourceInvitationId);
      await ctx.invitations.invite(T(ctx), { email: i.email, role: i.role, teamIds: i.teamIds, ...(src?.givenName ? { givenName: src.givenName } : {}), ...(src?.familyName ? { familyName: src.familyName } : {}) }, ctx.actor);
    }
  }
  const reason = i.kind === 'move' ? `moved to ${T(ctx)} (a new invitation was sent from there)` : i.reason;
  const at = now(ctx);
  await store.updateInvitation(S(ctx), i.sourceInvitationId, (cur) =>
    cur.status !== 'pending'
      ? null
      : { next: { ...cur, status: 'revoked', revokedAt: at, endReason: reason, updatedAt: at }, audit: draft(ctx, S(ctx), 'invitation.revoked', { type: 'invitation', id: cur.id }, { before: { status: cur.status }, after: { status: 'revoked', email: cur.email }, reason }) },
  );
}

async function moveLink(ctx: StepContext, l: LinkStep): Promise<void> {
  const { store } = ctx.deps;
  const at = now(ctx);
  await store.updateInviteLink(S(ctx), l.sourceLinkId, (cur) =>
    cur.revokedAt ? null : { next: { ...cur, revokedAt: at, updatedAt: at }, audit: draft(ctx, S(ctx), 'link.revoked', { type: 'invite_link', id: cur.id }, { after: { revokedAt: at }, reason: `moved to ${T(ctx)} as ${l.newLinkId}` }) },
  );
  if (await store.getInviteLink(T(ctx), l.newLinkId)) return;
  const src = await store.getInviteLink(S(ctx), l.sourceLinkId);
  if (!src) throw new IdsyncError('link.not_found', `invite link ${l.sourceLinkId} is gone before it was moved`, { linkId: l.sourceLinkId });
  const { token, hash } = mintLinkToken();
  const link: InviteLink = {
    id: l.newLinkId,
    orgId: T(ctx),
    ...(l.teamId ? { teamId: l.teamId } : {}),
    role: l.role,
    tokenHash: hash,
    createdBy: ctx.actor,
    createdAt: at,
    ...(src.expiresAt ? { expiresAt: src.expiresAt } : {}),
    ...(src.maxUses !== undefined ? { maxUses: Math.max(1, src.maxUses - src.uses) } : {}),
    uses: 0,
    allowedDomains: [...src.allowedDomains],
    ...(l.directoryConnectionId ? { directoryConnectionId: l.directoryConnectionId } : {}),
    updatedAt: at,
    version: 1,
  };
  await store.createInviteLink(link, draft(ctx, T(ctx), 'link.created', { type: 'invite_link', id: link.id }, { after: { role: link.role, teamId: link.teamId, mergedFrom: { orgId: S(ctx), linkId: src.id } } }));
  ctx.linkUrls.push({ sourceLinkId: src.id, linkId: link.id, url: joinUrl(ctx.publicUrl, token) });
}

async function close(ctx: StepContext): Promise<void> {
  const at = now(ctx);
  const summary = { members: ctx.plan.members.length, teams: ctx.plan.teams.length, invitations: ctx.plan.invitations.length, links: ctx.plan.links.length, connections: ctx.plan.connections.length };
  await ctx.deps.store.updateOrg(S(ctx), (o) =>
    o.state === 'merged' ? null : { next: { ...o, state: 'merged', mergedInto: T(ctx), mergedAt: at, updatedAt: at }, audit: draft(ctx, o.id, 'org.merged', { type: 'org', id: o.id }, { after: { mergedInto: T(ctx), ...summary } }) },
  );
  await ctx.deps.store.updateOrg(T(ctx), (o) =>
    (o.mergedFrom ?? []).includes(S(ctx))
      ? null
      : { next: { ...o, mergedFrom: [...(o.mergedFrom ?? []), S(ctx)], updatedAt: at }, audit: draft(ctx, o.id, 'org.merged', { type: 'org', id: S(ctx) }, { after: { mergedInto: o.id, mergedFrom: S(ctx), ...summary } }) },
  );
}
