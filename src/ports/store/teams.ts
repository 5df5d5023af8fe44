import type { AuditDraft, Team } from '../../domain/model.js';
import type { Page, PageRequest, UpdateOptions, UpdateResult, Updater } from './types.js';

/** Teams (SCIM groups) and their membership sets. */
export interface TeamStore {
  createTeam(team: Team, audit: AuditDraft): Promise<Team>;
  getTeam(orgId: string, id: string): Promise<Team | undefined>;
  findTeamByName(orgId: string, displayName: string): Promise<Team | undefined>;
  listTeams(orgId: string, page?: PageRequest): Promise<Page<Team>>;
  updateTeam(orgId: string, id: string, updater: Updater<Team>, opts?: UpdateOptions): Promise<UpdateResult<Team>>;
  /** Deletes the team and its membership set. */
  deleteTeam(orgId: string, id: string, audit: AuditDraft): Promise<void>;
  /**
   * Set deltas, never read-modify-write. Returns the ids actually added/removed; when none changed,
   * nothing is written and no audit event is appended. Unknown member ids are ignored by the
   * caller's validation, not here.
   */
  addTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]>;
  removeTeamMembers(orgId: string, teamId: string, memberIds: string[], audit: AuditDraft): Promise<string[]>;
  /** Member ids in the order they were added. */
  listTeamMembers(orgId: string, teamId: string, page?: PageRequest): Promise<Page<string>>;
  listMemberTeams(orgId: string, memberId: string): Promise<string[]>;
  /**
   * The member's teams with their display names, in the order they were joined: what a SCIM User's
   * `groups` shows, read at once (one statement or round trip) instead of one team read per group.
   */
  listMemberTeamRefs(orgId: string, memberId: string): Promise<TeamRef[]>;
}

/** A team as a member's answer names it. */
export type TeamRef = Pick<Team, 'id' | 'displayName'>;
