import { describe, expect, it } from '@jest/globals';
import { decideRole, idpRoleDecision, manualRoleSource, matchesOfTeam, winningMapping, type MatchedMapping } from '../../src/domain/role-mappings.js';
import type { Organization, Role, RoleMapping } from '../../src/domain/model.js';
import { aMember, anOrg, aTeam } from '../../src/store/conformance/fixtures.js';
import { codeOfSync } from '../support/services.js';

const at = '2026-01-01T00:00:00.000Z';
const org = anOrg();
const orgWith = (settings: Partial<Organization['settings']>) => ({ ...org, settings: { ...org.settings, ...settings } });
const mapping = (group: string, role: Role, precedence = 0): RoleMapping => ({ id: `rm-${group}`, orgId: org.id, source: 'scim', group, role, precedence, createdAt: at, updatedAt: at, version: 1 });
const matched = (...ms: RoleMapping[]): MatchedMapping[] => ms.map((mapping) => ({ mapping, groupLabel: mapping.group, teamId: `t-${mapping.group}` }));
const many = { activeOwners: 3 };

describe('the role rule', () => {
  it('when a member is in a mapped group, then the role is the mapping\'s, with the mapping as the source and the reason naming mapping and group', () => {
    const d = decideRole(aMember(org.id), matched(mapping('Admins', 'admin')), org, many);
    expect(d).toMatchObject({ kind: 'change', role: 'admin', roleSource: { kind: 'mapping', mappingId: 'rm-Admins', source: 'scim', group: 'Admins' } });
    expect(d.kind === 'change' && d.reason).toContain('scim group "Admins"');
    expect(d.kind === 'change' && d.evidence).toMatchObject({ kind: 'roleMapping', mappingId: 'rm-Admins', teamId: 't-Admins' });
  });

  it('when a member is in two mapped groups, then the higher precedence wins, and at equal precedence the higher role', () => {
    expect(winningMapping(matched(mapping('Staff', 'member'), mapping('Admins', 'admin')), org)?.mapping.role).toBe('admin');
    expect(winningMapping(matched(mapping('Admins', 'admin'), mapping('Contractors', 'member', 10)), org)?.mapping.group).toBe('Contractors');
    expect(winningMapping([], org)).toBeUndefined();
  });

  it('when the last mapped group is left, then a member whose role came from a mapping falls back to the default role; one whose role never did keeps it', () => {
    const fromMapping = aMember(org.id, { role: 'admin', roleSource: { kind: 'mapping', mappingId: 'rm-Admins', source: 'scim', group: 'Admins' } });
    expect(decideRole(fromMapping, [], org, many)).toMatchObject({ kind: 'change', role: 'member', roleSource: { kind: 'default' } });
    expect(decideRole(aMember(org.id, { role: 'admin' }), [], org, many)).toEqual({ kind: 'unchanged' });
    expect(decideRole(aMember(org.id, { role: 'admin', roleSource: { kind: 'manual' } }), [], org, many)).toEqual({ kind: 'unchanged' });
  });

  it('when the role is already the mapping\'s, then nothing changes unless the source differs (then only the source is recorded)', () => {
    const src = { kind: 'mapping', mappingId: 'rm-Admins', source: 'scim', group: 'Admins' } as const;
    expect(decideRole(aMember(org.id, { role: 'admin', roleSource: src }), matched(mapping('Admins', 'admin')), org, many)).toEqual({ kind: 'unchanged' });
    expect(decideRole(aMember(org.id, { role: 'admin' }), matched(mapping('Admins', 'admin')), org, many)).toMatchObject({ kind: 'change', role: 'admin', roleSource: src });
  });

  it('when a mapping to owner applies, then it counts only where the org allows owner by mapping (else the next mapping decides)', () => {
    const ms = matched(mapping('Owners', 'owner'), mapping('Staff', 'member'));
    expect(decideRole(aMember(org.id), ms, org, many)).toMatchObject({ kind: 'change', role: 'member', roleSource: { mappingId: 'rm-Staff' } });
    expect(decideRole(aMember(org.id), matched(mapping('Owners', 'owner')), org, many)).toEqual({ kind: 'unchanged' });
    expect(decideRole(aMember(org.id), ms, orgWith({ ownerByMapping: true }), many)).toMatchObject({ kind: 'change', role: 'owner' });
  });

  it('when a mapping would demote the last active owner, then the change is skipped with the reason; an owner is never demoted by a mapping unless the org allows owners by mapping', () => {
    const owner = aMember(org.id, { role: 'owner', roleSource: { kind: 'mapping', mappingId: 'rm-Owners', source: 'scim', group: 'Owners' } });
    const allowed = orgWith({ ownerByMapping: true });
    const last = decideRole(owner, [], allowed, { activeOwners: 1 });
    expect(last).toMatchObject({ kind: 'skipped', role: 'member' });
    expect(last.kind === 'skipped' && last.reason).toContain('last active owner');
    expect(decideRole(owner, [], allowed, { activeOwners: 2 })).toMatchObject({ kind: 'change', role: 'member' });
    const notAllowed = decideRole(owner, matched(mapping('Admins', 'admin')), org, { activeOwners: 5 });
    expect(notAllowed.kind === 'skipped' && notAllowed.reason).toContain('settings.ownerByMapping');
  });

  it('when a manual override was recorded and the org lets manual overrides win, then mappings leave the member alone; once it does not, the mapping takes over', () => {
    const overridden = aMember(org.id, { role: 'admin', roleSource: { kind: 'manual', overridesMapping: 'rm-Staff' } });
    const ms = matched(mapping('Staff', 'member'));
    expect(decideRole(overridden, ms, orgWith({ manualOverridesWin: true }), many)).toEqual({ kind: 'unchanged' });
    expect(decideRole(overridden, ms, org, many)).toMatchObject({ kind: 'change', role: 'member' });
  });

  it('when an admin changes the role of a member a mapping governs, then it is refused naming the mapping, unless manual overrides win', () => {
    const m = aMember(org.id);
    const ms = matched(mapping('Staff', 'member'));
    expect(codeOfSync(() => manualRoleSource(m, 'admin', ms, org))).toBe('member.role_governed');
    expect(() => manualRoleSource(m, 'admin', ms, org)).toThrow(/role mapping rm-Staff \(scim group "Staff" -> member\)/);
    expect(manualRoleSource(m, 'admin', ms, orgWith({ manualOverridesWin: true }))).toEqual({ kind: 'manual', overridesMapping: 'rm-Staff' });
    expect(manualRoleSource(m, 'admin', [], org)).toEqual({ kind: 'manual' });
  });

  it('when the IdP sends a role, then it is taken unless a mapping governs the member or it would set an owner without the org allowing it', () => {
    const m = aMember(org.id);
    expect(idpRoleDecision(m, 'admin', [], org)).toEqual({ role: 'admin', roleSource: { kind: 'idp', source: 'scim' } });
    expect(idpRoleDecision(m, 'admin', matched(mapping('Staff', 'member')), org)).toHaveProperty('ignored');
    expect(idpRoleDecision(m, 'owner', [], org)).toHaveProperty('ignored');
    expect(idpRoleDecision(m, 'owner', [], orgWith({ ownerByMapping: true }))).toMatchObject({ role: 'owner' });
  });

  it('when a SCIM mapping names a group, then it matches the team by id, externalId or displayName, case-insensitively, and other sources never match a team', () => {
    const team = aTeam(org.id, { displayName: 'Engineering-Admins', externalId: 'a1b2-oid' });
    expect(matchesOfTeam([mapping('engineering-admins', 'admin')], team)).toHaveLength(1);
    expect(matchesOfTeam([mapping('A1B2-OID', 'admin')], team)).toHaveLength(1);
    expect(matchesOfTeam([mapping(team.id, 'admin')], team)).toHaveLength(1);
    expect(matchesOfTeam([mapping('Engineering', 'admin')], team)).toHaveLength(0);
    expect(matchesOfTeam([{ ...mapping('Engineering-Admins', 'admin'), source: 'google' }], team)).toHaveLength(0);
  });
});
