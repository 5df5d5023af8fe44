import { randomUUID } from 'node:crypto';
import { DEFAULT_ORG_SETTINGS, type AuditDraft, type Member, type Organization, type Team } from '../../domain/model.js';

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
