import { SignJWT, type CryptoKey } from 'jose';
import type { ChangeSource, OutboxRecord } from '../../domain/model.js';
import { PUSH_METHOD, type QueuedSet, type SignalStream } from '../../domain/signals.js';
import type { Clock } from '../../ports/clock.js';
import { PROVIDER_SCOPE, type Store } from '../../ports/store.js';
import type { SigningKeys } from './keys.js';

export const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const RISC_ACCOUNT_DISABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled';
export const RISC_ACCOUNT_ENABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-enabled';
export const RISC_ACCOUNT_PURGED = 'https://schemas.openid.net/secevent/risc/event-type/account-purged';
export const SSF_VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** The event types a stream can carry (its `events_supported`). */
export const SUPPORTED_EVENTS = [CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED, RISC_ACCOUNT_ENABLED, RISC_ACCOUNT_PURGED, SSF_VERIFICATION] as const;

/** What each audited member change becomes: one SET per event (SSF: a SET carries one event). */
const EVENTS_OF: Record<string, readonly string[]> = {
  'member.deactivated': [CAEP_SESSION_REVOKED, RISC_ACCOUNT_DISABLED],
  'member.removed': [CAEP_SESSION_REVOKED, RISC_ACCOUNT_PURGED],
  'member.activated': [RISC_ACCOUNT_ENABLED],
  // Universal Logout from the identity provider: the person's sessions end, the account stays.
  'member.sessions_revoked': [CAEP_SESSION_REVOKED],
};

/** CAEP's `initiating_entity` (admin, user, policy, system) for each source of a change. */
const INITIATOR: Record<ChangeSource, 'admin' | 'user' | 'policy' | 'system'> = {
  admin: 'admin',
  console: 'admin',
  join: 'user',
  scim: 'system',
  merge: 'system',
  universal_logout: 'system',
  reconcile: 'policy',
  notification: 'policy',
};

/** The RFC 9493 `sub_id` of a member: a complex subject, the user by email and opaque id (aliases), and the org as tenant. */
export function memberSubject(orgId: string, memberId: string, email: string | undefined) {
  return {
    format: 'complex',
    user: { format: 'aliases', identifiers: [...(email ? [{ format: 'email', email }] : []), { format: 'opaque', id: memberId }] },
    tenant: { format: 'opaque', id: orgId },
  };
}

/** The claims of a SET before `iss`, `aud`, `iat` and signing. */
export interface SetDraft {
  jti: string;
  /** The org the event is about (the tenant). */
  orgId: string;
  event: string;
  claims: { sub_id: unknown; txn?: string; events: Record<string, unknown> };
}

interface MemberPayload {
  actor?: { kind?: string };
  target?: { type?: string; id?: string };
  source?: ChangeSource;
  reason?: string;
  before?: { emails?: string[] };
  after?: { emails?: string[] };
}

/**
 * The SETs an outbox record becomes, or none: member deactivation (CAEP session-revoked, RISC
 * account-disabled), removal (session-revoked, account-purged) and reactivation (account-enabled).
 * Each names the source and reason of the change; `jti` is the record id and the event's last path
 * segment, so a repeated fan-out produces the same jti and the queue keeps one.
 */
export function setsForRecord(rec: OutboxRecord): SetDraft[] {
  const events = EVENTS_OF[rec.type];
  const p = rec.payload as MemberPayload;
  if (!events || p.target?.type !== 'member' || !p.target.id) return [];
  const email = (p.after?.emails ?? p.before?.emails ?? [])[0];
  const source: ChangeSource = p.source ?? (p.actor?.kind === 'scim' ? 'scim' : p.actor?.kind === 'directory' ? 'reconcile' : 'admin');
  const reason = p.reason ?? rec.type;
  const at = Math.floor(Date.parse(rec.createdAt) / 1000);
  return events.map((event) => ({
    jti: `${rec.id}.${event.slice(event.lastIndexOf('/') + 1)}`,
    orgId: rec.orgId,
    event,
    claims: {
      sub_id: memberSubject(rec.orgId, p.target!.id!, email),
      txn: rec.id,
      events: { [event]: { event_timestamp: at, initiating_entity: INITIATOR[source] ?? 'system', reason_admin: { en: `${reason} (source: ${source})` } } },
    },
  }));
}

/** Whether the stream carries this draft: delivered event type, its org (or every org), subject not removed. */
export function streamWants(stream: SignalStream, d: SetDraft): boolean {
  if (stream.scope !== PROVIDER_SCOPE && stream.scope !== d.orgId) return false;
  if (!stream.eventsDelivered.includes(d.event)) return false;
  if (stream.excludedSubjects.length === 0) return true;
  const user = (d.claims.sub_id as ReturnType<typeof memberSubject>).user.identifiers;
  return !user.some((i) => stream.excludedSubjects.includes(i.format === 'email' ? `email:${(i as { email: string }).email.toLowerCase()}` : `opaque:${(i as { id: string }).id}`));
}

/** Signs a SET (RFC 8417) as a JWS with `typ: secevent+jwt` and the key's kid. */
export async function signSet(draft: Pick<SetDraft, 'jti' | 'claims'>, opts: { issuer: string; audience: string[]; iat: number; kid: string; key: CryptoKey }): Promise<string> {
  return new SignJWT({ ...draft.claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'secevent+jwt', kid: opts.kid })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience.length === 1 ? opts.audience[0]! : opts.audience)
    .setIssuedAt(opts.iat)
    .setJti(draft.jti)
    .sign(opts.key);
}

/** Signs a draft for a stream with the current key and queues it (push SETs due now); false when the stream already had this jti. */
export async function queueSet(deps: { store: Store; keys: SigningKeys; clock: Clock; issuer: string }, stream: SignalStream, d: SetDraft): Promise<boolean> {
  const now = deps.clock.now();
  const { kid, key } = await deps.keys.current();
  const jwt = await signSet(d, { issuer: deps.issuer, audience: stream.audience, iat: Math.floor(now.getTime() / 1000), kid, key });
  const at = now.toISOString();
  const set: QueuedSet = {
    streamId: stream.id,
    jti: d.jti,
    orgId: d.orgId,
    jwt,
    events: [d.event],
    status: 'pending',
    attempts: 0,
    ...(stream.delivery.method === PUSH_METHOD ? { nextAttemptAt: at } : {}),
    createdAt: at,
    updatedAt: at,
  };
  return deps.store.enqueueSet(set);
}
