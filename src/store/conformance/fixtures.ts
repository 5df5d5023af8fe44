import { randomUUID } from 'node:crypto';
import {
  DEFAULT_ORG_SETTINGS,
  type AuditDraft,
  type DirectoryConnection,
  type Invitation,
  type InviteLink,
  type Member,
  type Organization,
  type ReconcileRun,
  type Team,
  type WebhookDelivery,
  type WebhookEndpoint,
} from '../../domain/model.js';

const at = '2026-01-01T00:00:00.000Z';

export function anOrg(overrides: Partial<Organization> = {}): Organization {
  return {
    id: randomUUID(),
    name: 'Acme',
    settings: { ...DEFAULT_ORG_SETTINGS, allowedDomains: [] },
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...overrides,
  };
}

export function aMember(orgId: string, overrides: Partial<Member> = {}): Member {
  const userName = overrides.userName ?? `user-${randomUUID().slice(0, 8)}@example.com`;
  return {
    id: randomUUID(),
    orgId,
    userName,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ value: userName, type: 'work', primary: true }],
    role: 'member',
    status: 'active',
    managedBy: { kind: 'admin' },
    identities: [],
    attributes: {},
    createdAt: at,
    updatedAt: at,
    version: 1,
    ...overrides,
  };
}

export function aTeam(orgId: string, overrides: Partial<Team> = {}): Team {
  return { id: randomUUID(), orgId, displayName: `team-${randomUUID().slice(0, 8)}`, createdAt: at, updatedAt: at, version: 1, ...overrides };
}

export function draft(orgId: string, action: string, targetId: string, extra: Partial<AuditDraft> = {}): AuditDraft {
  return { orgId, actor: { kind: 'cli' }, action, target: { type: action.split('.')[0] ?? 'x', id: targetId }, ...extra };
}

/** `now` of the extension tests, and times either side of it. */
export const NOW = '2026-01-10T00:00:00.000Z';
export const hoursFrom = (iso: string, hours: number) => new Date(Date.parse(iso) + hours * 3_600_000).toISOString();

export function anInvitation(orgId: string, overrides: Partial<Invitation> = {}): Invitation {
  const id = randomUUID();
  return {
    id,
    orgId,
    email: `invitee-${id.slice(0, 8)}@example.com`,
    role: 'member',
    teamIds: [],
    status: 'pending',
    tokenHash: `inv-hash-${id}`,
    invitedBy: { kind: 'admin', id: 'key-1' },
    createdAt: NOW,
    expiresAt: hoursFrom(NOW, 72),
    lastSentAt: NOW,
    sendCount: 1,
    updatedAt: NOW,
    version: 1,
    ...overrides,
  };
}

export function anInviteLink(orgId: string, overrides: Partial<InviteLink> = {}): InviteLink {
  const id = randomUUID();
  return {
    id,
    orgId,
    role: 'member',
    tokenHash: `link-hash-${id}`,
    createdBy: { kind: 'admin', id: 'key-1' },
    createdAt: NOW,
    uses: 0,
    allowedDomains: [],
    updatedAt: NOW,
    version: 1,
    ...overrides,
  };
}

export function aConnection(orgId: string, overrides: Partial<DirectoryConnection> = {}): DirectoryConnection {
  return {
    id: randomUUID(),
    orgId,
    provider: 'google',
    name: 'Workspace',
    settings: { customer: 'my_customer' },
    credentialsCiphertext: 'v1:ciphertext',
    schedule: '*/15 * * * *',
    policy: { matchByEmail: false },
    syncState: {},
    health: 'unknown',
    enabled: true,
    createdAt: NOW,
    updatedAt: NOW,
    version: 1,
    ...overrides,
  };
}

export function aRun(conn: DirectoryConnection, overrides: Partial<ReconcileRun> = {}): ReconcileRun {
  return {
    id: randomUUID(),
    orgId: conn.orgId,
    connectionId: conn.id,
    dryRun: false,
    status: 'running',
    trigger: 'schedule',
    startedAt: NOW,
    summary: {},
    plan: [],
    updatedAt: NOW,
    version: 1,
    ...overrides,
  };
}

export function aWebhook(orgId: string, overrides: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return {
    id: randomUUID(),
    orgId,
    url: 'https://hooks.example.com/idsync',
    events: [],
    secretCiphertext: 'v1:secret',
    enabled: true,
    createdAt: NOW,
    updatedAt: NOW,
    version: 1,
    ...overrides,
  };
}

export function aDelivery(orgId: string, endpointId: string, overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
  const outboxId = overrides.outboxId ?? randomUUID();
  return {
    id: `${endpointId}:${outboxId}`,
    orgId,
    endpointId,
    outboxId,
    eventType: 'member.deactivated',
    status: 'pending',
    attempts: 0,
    nextAttemptAt: NOW,
    createdAt: NOW,
    updatedAt: NOW,
    ...overrides,
  };
}
