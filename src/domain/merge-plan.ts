import { emailKey } from './keys.js';
import { emailDomain } from './member-rules.js';
import type { AdminKey, DirectoryConnection, Identity, Invitation, InviteLink, ManagedBy, Member, Organization, Role, ScimClient, ScimToken, Team } from './model.js';

/**
 * Merging one organization (the source) into another (the target), as a pure plan: what moves,
 * what folds into an existing record, what is refused and why, and the audit events applying it
 * writes. The service stores the plan in a journal and applies it step by step; every id a step
 * creates is minted here, so a step run twice finds its own record and does nothing.
 */

/** What the planner reads of one side (live records only: no removed members, no ended invitations). */
export interface MergeSide {
  org: Organization;
  members: Member[];
  teams: { team: Team; memberIds: string[] }[];
  /** Pending and unexpired. */
  invitations: Invitation[];
  /** Active (not revoked, expired or used up). */
  links: InviteLink[];
  /** Unrevoked. */
  scimTokens: ScimToken[];
  /** Unrevoked. */
  scimClients: ScimClient[];
  /** Unrevoked admin keys scoped to the org (service accounts' keys included). */
  adminKeys: Omit<AdminKey, 'hash'>[];
  connections: DirectoryConnection[];
}

/** A source member without a counterpart: created in the target with a minted id. */
export interface MemberCopy {
  kind: 'copy';
  sourceMemberId: string;
  userName: string;
  newMemberId: string;
  role: Role;
  managedBy: ManagedBy;
  /** Identities no live member of the target has. */
  identities: Identity[];
}

/** The same person in both: one membership stays (the target's), with the higher role and both identities. */
export interface MemberFold {
  kind: 'fold';
  sourceMemberId: string;
  userName: string;
  targetMemberId: string;
  matchedBy: 'email' | 'identity';
  roleBefore: Role;
  role: Role;
  identitiesAdded: Identity[];
}

export type MemberStep = MemberCopy | MemberFold;

export interface TeamStep {
  kind: 'create' | 'join';
  sourceTeamId: string;
  displayName: string;
  targetTeamId: string;
  /** Target member ids to add (the copies and folds of the source team's members). */
  memberIds: string[];
}

export type InvitationStep =
  | { kind: 'move'; sourceInvitationId: string; email: string; role: Role; teamIds: string[] }
  | { kind: 'withdraw'; sourceInvitationId: string; email: string; reason: string };

export interface LinkStep {
  kind: 'move';
  sourceLinkId: string;
  newLinkId: string;
  role: Role;
  teamId?: string;
  directoryConnectionId?: string;
}

export type ConnectionStep =
  | { kind: 'move'; sourceConnectionId: string; newConnectionId: string; provider: string; name: string }
  | { kind: 'refuse'; sourceConnectionId: string; provider: string; name: string; clashesWith: string; reason: string };

export interface CredentialStep {
  kind: 'scim_token' | 'scim_client' | 'admin_key';
  id: string;
  label?: string;
  reason: string;
}

export interface PlannedAudit {
  orgId: string;
  action: string;
}

export interface MergePlan {
  sourceOrgId: string;
  targetOrgId: string;
  /** Why the merge cannot run as planned (a userName taken by someone else, a domain the target refuses); empty: it can. */
  blockers: string[];
  members: MemberStep[];
  teams: TeamStep[];
  invitations: InvitationStep[];
  links: LinkStep[];
  connections: ConnectionStep[];
  /** Revoked when the source closes (SCIM tokens and clients, org-scoped admin keys): a credential selects one organization. */
  credentials: CredentialStep[];
  audit: PlannedAudit[];
}

const ROLE_RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

export function higherRole(a: Role, b: Role): Role {
  return ROLE_RANK[a] >= ROLE_RANK[b] ? a : b;
}

const identityKey = (i: Pick<Identity, 'provider' | 'subject'>): string => `${i.provider}\u0000${i.subject}`;

/** Which upstream directory a connection reads: two connections with one key would manage the same people. */
export function directoryKey(c: Pick<DirectoryConnection, 'provider' | 'settings'>): string {
  const s = c.settings as Record<string, unknown>;
  const pick = (...names: string[]): string => {
    for (const n of names) if (typeof s[n] === 'string' && s[n] !== '') return String(s[n]).toLowerCase();
    return JSON.stringify(s);
  };
  if (c.provider === 'google') return `google:${typeof s['customer'] === 'string' ? `customer:${pick('customer')}` : `domain:${typeof s['domain'] === 'string' ? pick('domain') : emailDomain(String(s['adminEmail'] ?? ''))}`}`;
  if (c.provider === 'microsoft') return `microsoft:${pick('tenantId')}`;
  return `github:${pick('org')}`;
}

/** `mint` gives a fresh id for every record a step creates; `roles` sets the target role of named source members (a fold still keeps the higher). */
export function planMerge(source: MergeSide, target: MergeSide, mint: () => string, opts: { roles?: Readonly<Record<string, Role>> } = {}): MergePlan {
  const s = source.org.id;
  const t = target.org.id;
  const blockers: string[] = [];

  // ---- connections: a directory already connected to the target is refused, its people map there ----
  const targetByDirectory = new Map(target.connections.map((c) => [directoryKey(c), c]));
  const connectionMap = new Map<string, string>();
  const connections: ConnectionStep[] = source.connections.map((c) => {
    const clash = targetByDirectory.get(directoryKey(c));
    if (clash) {
      connectionMap.set(c.id, clash.id);
      return { kind: 'refuse', sourceConnectionId: c.id, provider: c.provider, name: c.name, clashesWith: clash.id, reason: `the same directory is connected to ${t} as ${clash.id}; its people are matched there` };
    }
    const newConnectionId = mint();
    connectionMap.set(c.id, newConnectionId);
    return { kind: 'move', sourceConnectionId: c.id, newConnectionId, provider: c.provider, name: c.name };
  });

  // ---- members ----
  const byEmail = new Map<string, Member>();
  const byIdentity = new Map<string, Member>();
  const byUserName = new Map<string, Member>();
  for (const m of target.members) {
    for (const e of m.emails) if (!byEmail.has(emailKey(e.value))) byEmail.set(emailKey(e.value), m);
    for (const i of m.identities) byIdentity.set(identityKey(i), m);
    byUserName.set(m.userName.toLowerCase(), m);
  }
  const memberMap = new Map<string, string>();
  const taken = new Set(byIdentity.keys());
  const members: MemberStep[] = [];
  for (const m0 of source.members) {
    const m = opts.roles?.[m0.id] ? { ...m0, role: opts.roles[m0.id]! } : m0;
    const viaEmail = m.emails.map((e) => byEmail.get(emailKey(e.value))).find((x) => x !== undefined);
    const viaIdentity = viaEmail ? undefined : m.identities.map((i) => byIdentity.get(identityKey(i))).find((x) => x !== undefined);
    const match = viaEmail ?? viaIdentity;
    if (match) {
      const added = m.identities.filter((i) => !taken.has(identityKey(i)));
      for (const i of added) taken.add(identityKey(i));
      memberMap.set(m.id, match.id);
      members.push({ kind: 'fold', sourceMemberId: m.id, userName: m.userName, targetMemberId: match.id, matchedBy: viaEmail ? 'email' : 'identity', roleBefore: match.role, role: higherRole(match.role, m.role), identitiesAdded: added });
      continue;
    }
    if (byUserName.has(m.userName.toLowerCase())) {
      blockers.push(`member ${m.id}: userName ${m.userName} belongs to member ${byUserName.get(m.userName.toLowerCase())!.id} of ${t}, who shares no email or identity with them; rename one first`);
    }
    const allowed = target.org.settings.allowedDomains;
    const refused = allowed.length > 0 ? m.emails.find((e) => !allowed.includes(emailDomain(e.value))) : undefined;
    if (refused) blockers.push(`member ${m.id}: ${refused.value} is outside the allowed domains of ${t}`);
    const identities = m.identities.filter((i) => !taken.has(identityKey(i)));
    for (const i of identities) taken.add(identityKey(i));
    const newMemberId = mint();
    memberMap.set(m.id, newMemberId);
    byUserName.set(m.userName.toLowerCase(), m);
    members.push({ kind: 'copy', sourceMemberId: m.id, userName: m.userName, newMemberId, role: m.role, managedBy: mergedManager(m.managedBy, connectionMap), identities });
  }

  // ---- teams: merged by name (case-insensitive) ----
  const targetTeams = new Map(target.teams.map((x) => [x.team.displayName.toLowerCase(), x]));
  const teamMap = new Map<string, string>();
  const teams: TeamStep[] = source.teams.map(({ team, memberIds }) => {
    const existing = targetTeams.get(team.displayName.toLowerCase());
    const targetTeamId = existing?.team.id ?? mint();
    teamMap.set(team.id, targetTeamId);
    const have = new Set(existing?.memberIds ?? []);
    const add = [...new Set(memberIds.map((id) => memberMap.get(id)).filter((id): id is string => id !== undefined && !have.has(id)))];
    return { kind: existing ? 'join' : 'create', sourceTeamId: team.id, displayName: team.displayName, targetTeamId, memberIds: add };
  });

  // ---- invitations: a clash with a target member or invitation is withdrawn ----
  const pendingInTarget = new Set(target.invitations.map((i) => emailKey(i.email)));
  const invitations: InvitationStep[] = source.invitations.map((inv) => {
    const key = emailKey(inv.email);
    const member = byEmail.get(key);
    if (member) return { kind: 'withdraw', sourceInvitationId: inv.id, email: inv.email, reason: `merged into ${t}, where ${inv.email} is already member ${member.id}` };
    if (pendingInTarget.has(key)) return { kind: 'withdraw', sourceInvitationId: inv.id, email: inv.email, reason: `merged into ${t}, where ${inv.email} already has a pending invitation` };
    pendingInTarget.add(key);
    return { kind: 'move', sourceInvitationId: inv.id, email: inv.email, role: inv.role, teamIds: inv.teamIds.map((id) => teamMap.get(id)).filter((id): id is string => id !== undefined) };
  });

  const links: LinkStep[] = source.links.map((l) => {
    const teamId = l.teamId ? teamMap.get(l.teamId) : undefined;
    const directoryConnectionId = l.directoryConnectionId ? connectionMap.get(l.directoryConnectionId) : undefined;
    return { kind: 'move', sourceLinkId: l.id, newLinkId: mint(), role: l.role, ...(teamId ? { teamId } : {}), ...(directoryConnectionId ? { directoryConnectionId } : {}) };
  });

  const reason = `a credential selects one organization; ${s} was merged into ${t}: issue one for ${t}`;
  const credentials: CredentialStep[] = [
    ...source.scimTokens.map((x): CredentialStep => ({ kind: 'scim_token', id: x.id, ...(x.label ? { label: x.label } : {}), reason })),
    ...source.scimClients.map((x): CredentialStep => ({ kind: 'scim_client', id: x.id, ...(x.label ? { label: x.label } : {}), reason })),
    ...source.adminKeys.map((x): CredentialStep => ({ kind: 'admin_key', id: x.id, ...(x.label ? { label: x.label } : {}), reason: x.serviceAccountId ? `${reason} (rotate the service account's key there)` : reason })),
  ];

  const plan: MergePlan = { sourceOrgId: s, targetOrgId: t, blockers, members, teams, invitations, links, connections, credentials, audit: [] };
  return { ...plan, audit: mergeAudit(plan) };
}

/** A copy keeps its directory (moved, or the target's connection to the same directory); SCIM-managed people become admin-managed until an IdP adopts them. */
function mergedManager(m: ManagedBy, connections: Map<string, string>): ManagedBy {
  if (m.kind === 'directory') {
    const id = connections.get(m.connectionId);
    return id ? { kind: 'directory', connectionId: id } : { kind: 'admin' };
  }
  if (m.kind === 'scim') return { kind: 'admin' };
  return m;
}

/** The audit events applying the plan writes, chain by chain, in the order they are written. */
export function mergeAudit(p: Omit<MergePlan, 'audit'>): PlannedAudit[] {
  const s = (action: string): PlannedAudit => ({ orgId: p.sourceOrgId, action });
  const t = (action: string): PlannedAudit => ({ orgId: p.targetOrgId, action });
  const out: PlannedAudit[] = [s('org.merge_started')];
  for (const c of p.credentials) out.push(s(`${c.kind}.revoked`));
  for (const c of p.connections) out.push(...(c.kind === 'move' ? [t('connection.created'), s('connection.deleted')] : [s('connection.updated')]));
  for (const x of p.teams) if (x.kind === 'create') out.push(t('team.created'));
  for (const m of p.members) if (m.kind === 'copy' || m.role !== m.roleBefore || m.identitiesAdded.length > 0) out.push(t(m.kind === 'copy' ? 'member.created' : 'member.merged'));
  for (const x of p.teams) if (x.memberIds.length > 0) out.push(t('team.members_added'));
  for (const i of p.invitations) out.push(...(i.kind === 'move' ? [t('invitation.created'), s('invitation.revoked')] : [s('invitation.revoked')]));
  for (const _l of p.links) out.push(s('link.revoked'), t('link.created'));
  out.push(s('org.merged'), t('org.merged'));
  return out;
}

/** Counts by chain and action: what a dry run shows and what a test compares with the chains afterwards. */
export function auditCounts(events: readonly PlannedAudit[]): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const e of events) {
    const chain = (out[e.orgId] ??= {});
    chain[e.action] = (chain[e.action] ?? 0) + 1;
  }
  return out;
}
