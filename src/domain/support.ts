/** Support access with consent and org deletion: plain data, no behaviour. */
import type { Actor } from './model.js';

/** `open`: provider-wide keys reach the org's data (the default); `consent`: only under a live grant. */
export type SupportAccess = 'open' | 'consent';
export const SUPPORT_ACCESS: readonly SupportAccess[] = ['open', 'consent'];

/** An org owner's time-boxed consent to the operator's (provider-wide) access to the org's data. */
export interface SupportGrant {
  id: string;
  orgId: string;
  reason: string;
  grantedBy: Actor;
  createdAt: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: Actor;
  /** When the org's owners were last told (`support.access_used`) that the grant was used. */
  lastNotifiedAt?: string;
  updatedAt: string;
  version: number;
}

export type SupportGrantState = 'active' | 'expired' | 'revoked';

export function grantState(g: SupportGrant, now: Date): SupportGrantState {
  if (g.revokedAt) return 'revoked';
  return Date.parse(g.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

/** What remains of a purged org: its id and name, and the end of its audit chain (last hash and length). */
export interface PurgeReceipt {
  orgId: string;
  name: string;
  /** When deletion was asked for, and the end of the grace period. */
  deletionRequestedAt: string;
  purgeAt: string;
  purgedAt: string;
  /** Hash of the org's last audit event (the chain's genesis hash when it had none) and the chain's length. */
  lastAuditHash: string;
  auditCount: number;
}
