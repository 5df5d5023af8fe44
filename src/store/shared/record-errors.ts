import { IdsyncError } from '../../domain/errors.js';
import type { Invitation } from '../../domain/model.js';

/** The coded errors both backends raise for invitations, links, connections, runs, webhooks and role mappings. */

export const invitationNotFound = (id: string) => new IdsyncError('invite.not_found', `invitation ${id} not found`, { invitationId: id });
export const linkNotFound = (id: string) => new IdsyncError('link.not_found', `invite link ${id} not found`, { linkId: id });
export const connectionNotFound = (id: string) => new IdsyncError('connection.not_found', `directory connection ${id} not found`, { connectionId: id });
export const runNotFound = (id: string) => new IdsyncError('run.not_found', `reconcile run ${id} not found`, { runId: id });
export const roleMappingNotFound = (id: string) => new IdsyncError('role_mapping.not_found', `role mapping ${id} not found`, { mappingId: id });
export const roleMappingExists = (id: string) => new IdsyncError('role_mapping.exists', `role mapping ${id} already exists; change that one`, { mappingId: id });
export const mergeNotFound = (sourceOrgId: string) => new IdsyncError('merge.not_found', `no merge of organization ${sourceOrgId} was started`, { orgId: sourceOrgId });
export const supportGrantNotFound = (id: string) => new IdsyncError('support.grant_not_found', `support access grant ${id} not found`, { grantId: id });
export const orgGone = (id: string) => new IdsyncError('org.not_found', `organization ${id} not found (and no purge receipt)`, { orgId: id });
export const streamNotFound = (id: string) => new IdsyncError('signals.stream_not_found', `Shared Signals stream ${id} not found`, { streamId: id });
export const domainNotFound = (domain: string) => new IdsyncError('domain.not_found', `the organization has no claim on ${domain}`, { domain });
export const domainExists = (domain: string) => new IdsyncError('domain.exists', `the organization already claims ${domain}`, { domain });
export const domainTaken = (domain: string) => new IdsyncError('domain.taken', `another organization has verified ${domain}`, { domain });
export const joinRequestNotFound = (id: string) => new IdsyncError('join_request.not_found', `join request ${id} not found`, { joinRequestId: id });
export const webhookNotFound = (id: string) => new IdsyncError('webhook.not_found', `webhook endpoint ${id} not found`, { webhookId: id });

export const invitationDuplicate = (inv: Invitation) =>
  new IdsyncError('invite.duplicate', `a pending invitation for ${inv.email} already exists; resend it instead`, { email: inv.email });

export const inviteCapReached = (orgId: string, pending: number, cap: number) =>
  new IdsyncError('invite.cap_reached', `organization ${orgId} already has ${pending} pending invitations (cap ${cap})`, { pending, cap });

export const versionMismatch = (expected: number, actual: number) =>
  new IdsyncError('version.mismatch', `version ${expected} does not match current version ${actual}`, { expected, actual });

/**
 * Epoch milliseconds of an ISO timestamp the store compares (an invitation's expiry, a delivery's
 * next attempt, `now`). Both backends compare numbers, never strings, so `…Z` and `…+00:00` agree.
 */
export function epochMs(iso: string, field: string): number {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new IdsyncError('request.invalid', `${field} is not a timestamp: ${JSON.stringify(iso)}`, { field });
  return ms;
}

/** The fields of a partial update that carry a value (`undefined` means "leave as is"). */
export function definedFields<T extends object>(partial: T): Partial<T> {
  return Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<T>;
}
