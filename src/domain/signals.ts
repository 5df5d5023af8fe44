/**
 * Shared Signals (OpenID SSF 1.0): the streams a receiver configures, the keys that sign their
 * Security Event Tokens (RFC 8417), and the SETs queued for each stream.
 */

/** RFC 8935 push delivery and RFC 8936 poll delivery, as SSF names them. */
export const PUSH_METHOD = 'urn:ietf:rfc:8935';
export const POLL_METHOD = 'urn:ietf:rfc:8936';

export type StreamStatus = 'enabled' | 'paused' | 'disabled';

export type StreamDelivery =
  | {
      method: typeof PUSH_METHOD;
      endpointUrl: string;
      /** The receiver's `authorization_header`, sealed (SecretBox); never shown again. */
      authorizationHeaderCiphertext?: string;
    }
  | { method: typeof POLL_METHOD };

export interface SignalStream {
  id: string;
  /** The org whose events the stream carries, or PROVIDER_SCOPE: every org's (each SET names its tenant). */
  scope: string;
  /** The `aud` of every SET of this stream. */
  audience: string[];
  delivery: StreamDelivery;
  /** What the receiver asked for (event type URIs). */
  eventsRequested: string[];
  /** What the transmitter sends: the requested ones it supports. */
  eventsDelivered: string[];
  description?: string;
  status: StreamStatus;
  statusReason?: string;
  /**
   * Subjects removed with remove_subject (`default_subjects` is ALL, so every subject is in the
   * stream until removed): `email:<lower-case address>` or `opaque:<member id>`.
   */
  excludedSubjects: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** A SET signing key: the private half sealed at rest, the public half published at the JWKS URL. */
export interface SigningKey {
  kid: string;
  alg: 'ES256';
  /** Public JWK (kty, crv, x, y). */
  publicJwk: Record<string, string>;
  /** The private JWK's JSON, sealed (SecretBox). */
  privateCiphertext: string;
  createdAt: string;
}

export type QueuedSetStatus = 'pending' | 'delivered' | 'failed';

/** One signed SET waiting for, or done with, delivery to one stream. */
export interface QueuedSet {
  streamId: string;
  /** The SET's `jti`: unique per stream (the outbox record id and the event). */
  jti: string;
  /** The org the event happened in. */
  orgId: string;
  /** The compact JWS, signed once at queueing time so every retry sends the same token. */
  jwt: string;
  events: string[];
  status: QueuedSetStatus;
  attempts: number;
  /** Push streams only: when the next attempt is due while pending. Poll SETs wait for the receiver. */
  nextAttemptAt?: string;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  createdAt: string;
  updatedAt: string;
}
