import { IdsyncError } from './errors.js';

/**
 * A chain head recorded outside idsync (a SIEM, a ticket, a webhook receiver): the seq and hash of
 * one event of an org's audit trail. A hash chain alone proves only that the events it holds link
 * up; events cut from its end, or a trail rewritten whole by someone with database access, still
 * verify. An anchor closes that gap the way a transparency log's signed tree head does: the trail
 * must still hold the anchored event, with the anchored hash, which (through the chain) fixes every
 * event before it.
 */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

/**
 * What the anchored event turned out to be:
 * - `matched`: the event at seq has the anchored hash (the trail up to it is the one anchored);
 * - `mismatch`: it has another hash (`found`): the trail was rewritten at or before seq;
 * - `missing`: there is no event at seq though events after it remain (deleted from the middle);
 * - `beyond_head`: the trail ends before seq (`headSeq`): its end was cut off;
 * - `not_reached`: the chain broke before seq (the chain's break is the verdict).
 */
export type AnchorStatus = 'matched' | 'mismatch' | 'missing' | 'beyond_head' | 'not_reached';

export interface AnchorCheck extends AuditAnchor {
  status: AnchorStatus;
  /** mismatch: the hash the event at seq has now. */
  found?: string;
  /** beyond_head: the seq of the trail's last event. */
  headSeq?: number;
}

const ANCHOR = /^(\d{1,15}):([0-9a-fA-F]{64})$/;

/** `SEQ:HASH` as written by `audit head` (seq from 1, hash the 64 hex digits of sha256); a precise refusal otherwise. */
export function parseAnchor(text: string, field = 'anchor'): AuditAnchor {
  const m = ANCHOR.exec(text.trim());
  const seq = m ? Number(m[1]) : 0;
  if (!m || seq < 1) throw new IdsyncError('request.invalid', `${field} must be SEQ:HASH, a sequence number from 1 and the 64 hex digits of that event's hash (as printed by idsync audit head)`, { field });
  return { seq, hash: m[2]!.toLowerCase() };
}

export const formatAnchor = (a: AuditAnchor): string => `${a.seq}:${a.hash}`;
