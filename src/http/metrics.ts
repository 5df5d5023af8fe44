import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

export interface HttpMetrics {
  registry: Registry;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  scimRequests: Counter<'org' | 'method' | 'resource' | 'status'>;
  webhookDeliveries: Counter<'status'>;
  ssfPushes: Counter<'stream' | 'status'>;
  storeUnavailable: Counter<'surface'>;
  authThrottled: Counter<'surface'>;
  scimLogFlushFailures: Counter;
  scimLogDropped: Counter;
  notifications: Counter<'provider' | 'outcome'>;
  universalLogout: Counter<'outcome'>;
  orgPurges: Counter<'outcome'>;
}

/** One registry per app instance, so tests can build several apps in one process. */
export function createMetrics(): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'idsync_' });
  const requestDuration = new Histogram({
    name: 'idsync_http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const scimRequests = new Counter({
    name: 'idsync_scim_requests_total',
    help: 'SCIM requests by organization, method, resource type (Users, Groups, …) and status code.',
    labelNames: ['org', 'method', 'resource', 'status'] as const,
    registers: [registry],
  });
  const webhookDeliveries = new Counter({
    name: 'idsync_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome (delivered, retrying, failed).',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const ssfPushes = new Counter({
    name: 'idsync_ssf_push_attempts_total',
    help: 'Shared Signals push attempts by stream and outcome (delivered, retrying, failed).',
    labelNames: ['stream', 'status'] as const,
    registers: [registry],
  });
  const storeUnavailable = new Counter({
    name: 'idsync_store_unavailable_responses_total',
    help: 'Requests answered 503 store.unavailable (with Retry-After) because the store could not be reached, by surface (scim, api, join, oauth).',
    labelNames: ['surface'] as const,
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'idsync_notifications_total',
    help: 'Directory change notifications by provider and outcome (accepted, forged, unsigned, replayed, unknown_channel, sync, … and, once worked, applied, held, unchanged, unknown_user, lookup_failed).',
    labelNames: ['provider', 'outcome'] as const,
    registers: [registry],
  });
  const universalLogout = new Counter({
    name: 'idsync_universal_logout_requests_total',
    help: 'Okta Universal Logout requests by outcome (revoked, invitations_withdrawn, token_invalid, subject_invalid, person_not_found, throttled, failed).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const orgPurges = new Counter({
    name: 'idsync_org_purges_total',
    help: 'Organizations past their deletion grace period, by outcome of their purge: purged (data removed, receipt kept, org.purged in the provider audit chain) or failed (retried next pass).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const authThrottled = new Counter({
    name: 'idsync_auth_failures_throttled_total',
    help: 'Failed authentication attempts answered 429 because their client address used up server.authFailuresPerMinute, by surface (scim, api, oauth, universal_logout).',
    labelNames: ['surface'] as const,
    registers: [registry],
  });
  const scimLogFlushFailures = new Counter({
    name: 'idsync_scim_log_flush_failures_total',
    help: 'SCIM request log entries whose batch the store refused (held and retried; SCIM requests are unaffected).',
    registers: [registry],
  });
  const scimLogDropped = new Counter({
    name: 'idsync_scim_log_dropped_total',
    help: 'SCIM request log entries dropped because the store refused them for longer than the in-memory buffer holds.',
    registers: [registry],
  });
  return { registry, requestDuration, scimRequests, webhookDeliveries, ssfPushes, storeUnavailable, authThrottled, scimLogFlushFailures, scimLogDropped, notifications, universalLogout, orgPurges };
}
