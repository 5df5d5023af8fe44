import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor } from '../../domain/model.js';
import { POLL_METHOD, PUSH_METHOD, type SignalStream, type StreamStatus } from '../../domain/signals.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import type { Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';
import type { SecretBox } from '../secret-box.js';
import { parseInput } from '../validate.js';
import { blockedLiteralReason } from '../webhooks/destination.js';
import type { SigningKeys } from './keys.js';
import { queueSet, SSF_VERIFICATION, SUPPORTED_EVENTS } from './set.js';

/** Subjects a stream may have removed (`default_subjects` is ALL). */
const MAX_EXCLUDED = 10_000;

export interface SignalServiceOptions {
  /** server.publicUrl: the issuer, and the base of every SSF endpoint. */
  publicUrl: string;
  allowPrivateNetworks: boolean;
}

const isLoopback = (host: string) => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || (isIP(h) === 4 && h.startsWith('127.')) || h === '::1';
};
const endpointUrl = z
  .string()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/ }))
  .refine((u) => u.startsWith('https:') || isLoopback(new URL(u).hostname), 'must be https (http only for loopback hosts)');
const delivery = z.object({
  method: z.enum([PUSH_METHOD, POLL_METHOD]),
  endpoint_url: endpointUrl.optional(),
  authorization_header: z.string().min(1).max(4096).optional(),
});
const audience = z.union([z.string().min(1).max(2000), z.array(z.string().min(1).max(2000)).min(1).max(20)]);
const fields = {
  delivery: delivery.optional(),
  events_requested: z.array(z.string().max(500)).max(50).optional(),
  description: z.string().max(500).optional(),
  aud: audience.optional(),
};
const createSchema = z.object(fields);
const updateSchema = z.object({ stream_id: z.string().min(1), ...fields });
const statusSchema = z.object({ stream_id: z.string().min(1), status: z.enum(['enabled', 'paused', 'disabled']), reason: z.string().max(500).optional() });
const simpleSubject = z.union([
  z.object({ format: z.literal('email'), email: z.string().min(3).max(320) }),
  z.object({ format: z.literal('opaque'), id: z.string().min(1).max(200) }),
]);
const subject = z.union([
  simpleSubject,
  z.object({ format: z.literal('aliases'), identifiers: z.array(z.record(z.string(), z.unknown())).min(1).max(10) }),
  z.object({ format: z.literal('complex'), user: z.record(z.string(), z.unknown()) }).loose(),
]);
const subjectSchema = z.object({ stream_id: z.string().min(1), subject, verified: z.boolean().optional() });
const verifySchema = z.object({ stream_id: z.string().min(1), state: z.string().max(500).optional() });

/** A stream as SSF shows it (§8.1.1); the authorization header is write-only. */
export type StreamConfiguration = ReturnType<SignalService['show']>;
export type StreamOverview = StreamConfiguration & { scope: string; status: StreamStatus; reason?: string; pending: number };

/**
 * Shared Signals stream management (SSF 1.0 §8) for admin-key receivers: an org-scoped key's
 * streams carry that org's events, a provider-wide key's every org's. Every change is audited in the
 * stream's scope. `default_subjects` is ALL: remove_subject excludes a subject, add_subject takes it back.
 */
export class SignalService {
  constructor(
    private readonly deps: ServiceDeps,
    readonly keys: SigningKeys,
    private readonly box: SecretBox,
    private readonly opts: SignalServiceOptions,
  ) {}

  get issuer(): string {
    return this.opts.publicUrl;
  }

  /** The transmitter configuration metadata (SSF §7.1) served at /.well-known/ssf-configuration. */
  metadata() {
    const base = this.opts.publicUrl;
    return {
      spec_version: '1_0',
      issuer: base,
      jwks_uri: `${base}/ssf/jwks.json`,
      delivery_methods_supported: [PUSH_METHOD, POLL_METHOD],
      configuration_endpoint: `${base}/ssf/stream`,
      status_endpoint: `${base}/ssf/status`,
      add_subject_endpoint: `${base}/ssf/subjects/add`,
      remove_subject_endpoint: `${base}/ssf/subjects/remove`,
      verification_endpoint: `${base}/ssf/verify`,
      critical_subject_members: ['user'],
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
      default_subjects: 'ALL',
    };
  }

  async create(p: Principal, input: unknown): Promise<StreamConfiguration> {
    const data = parseInput(createSchema, input);
    const scope = scopeOf(p);
    if (!data.delivery) throw invalid('delivery', 'required');
    const id = randomUUID();
    const at = this.deps.clock.now().toISOString();
    const stream: SignalStream = {
      id,
      scope,
      audience: [],
      delivery: this.delivery(data.delivery),
      eventsRequested: data.events_requested ?? [],
      eventsDelivered: delivered(data.events_requested),
      ...(data.description !== undefined ? { description: data.description } : {}),
      status: 'enabled',
      excludedSubjects: [],
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    stream.audience = audienceOf(data.aud, stream);
    await this.deps.store.createSignalStream(stream, this.audit(p.actor, 'signals.stream_created', stream, { after: summary(stream) }));
    return this.show(stream);
  }

  async list(p: Principal): Promise<StreamConfiguration[]> {
    return (await this.deps.store.listSignalStreams(scopeOf(p))).map((s) => this.show(s));
  }

  async get(p: Principal, id: string): Promise<StreamConfiguration> {
    return this.show(await this.stream(p, id));
  }

  /** PATCH (merge the given fields) or PUT (replace: absent optional fields are reset). */
  async update(p: Principal, input: unknown, replace: boolean): Promise<StreamConfiguration> {
    const data = parseInput(updateSchema, input);
    await this.stream(p, data.stream_id);
    if (replace && !data.delivery) throw invalid('delivery', 'required');
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateSignalStream(data.stream_id, (cur) => {
      const requested = data.events_requested ?? (replace ? [] : cur.eventsRequested);
      const next: SignalStream = {
        ...cur,
        delivery: data.delivery ? this.delivery(data.delivery, cur) : cur.delivery,
        eventsRequested: requested,
        eventsDelivered: delivered(requested),
        updatedAt: at,
      };
      if (data.description !== undefined) next.description = data.description;
      else if (replace) delete next.description;
      next.audience = data.aud !== undefined || replace ? audienceOf(data.aud, next) : cur.audience;
      return { next, audit: this.audit(p.actor, 'signals.stream_updated', cur, { before: summary(cur), after: summary(next) }) };
    });
    return this.show(record);
  }

  async delete(p: Principal, id: string): Promise<void> {
    const stream = await this.stream(p, id);
    await this.deps.store.deleteSignalStream(id, this.audit(p.actor, 'signals.stream_deleted', stream, { before: summary(stream) }));
  }

  async status(p: Principal, id: string): Promise<{ stream_id: string; status: StreamStatus; reason?: string }> {
    const s = await this.stream(p, id);
    return { stream_id: s.id, status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}) };
  }

  async setStatus(p: Principal, input: unknown): Promise<{ stream_id: string; status: StreamStatus; reason?: string }> {
    const data = parseInput(statusSchema, input);
    await this.stream(p, data.stream_id);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateSignalStream(data.stream_id, (cur) => {
      if (cur.status === data.status && cur.statusReason === data.reason) return null;
      const { statusReason: _old, ...rest } = cur;
      const next: SignalStream = { ...rest, status: data.status, ...(data.reason ? { statusReason: data.reason } : {}), updatedAt: at };
      return { next, audit: this.audit(p.actor, 'signals.stream_status_changed', cur, { before: { status: cur.status }, after: { status: next.status }, ...(data.reason ? { reason: data.reason } : {}) }) };
    });
    return { stream_id: record.id, status: record.status, ...(record.statusReason ? { reason: record.statusReason } : {}) };
  }

  /** add_subject (include: true) takes a removed subject back; remove_subject (false) excludes it. */
  async subject(p: Principal, input: unknown, include: boolean): Promise<void> {
    const data = parseInput(subjectSchema, input);
    await this.stream(p, data.stream_id);
    const keys = subjectKeys(data.subject);
    if (keys.length === 0) throw invalid('subject', 'expected an email or opaque subject (alone, in aliases, or as the user of a complex subject)');
    await this.deps.store.updateSignalStream(data.stream_id, (cur) => {
      const set = new Set(cur.excludedSubjects);
      for (const k of keys) if (include) set.delete(k);
      else set.add(k);
      if (set.size === cur.excludedSubjects.length && keys.every((k) => cur.excludedSubjects.includes(k) === !include)) return null;
      if (set.size > MAX_EXCLUDED) throw invalid('subject', `a stream may exclude at most ${MAX_EXCLUDED} subjects`);
      return {
        next: { ...cur, excludedSubjects: [...set], updatedAt: this.deps.clock.now().toISOString() },
        audit: this.audit(p.actor, include ? 'signals.subject_added' : 'signals.subject_removed', cur, { after: { subjects: keys } }),
      };
    });
  }

  /** Queues the SSF verification event (its `state` echoed) for the stream. */
  async verify(p: Principal, input: unknown): Promise<void> {
    const data = parseInput(verifySchema, input);
    const stream = await this.stream(p, data.stream_id);
    if (stream.status !== 'enabled') throw new IdsyncError('request.invalid', `stream ${stream.id} is ${stream.status}; verification needs an enabled stream`);
    await queueSet({ store: this.deps.store, keys: this.keys, clock: this.deps.clock, issuer: this.issuer }, stream, {
      jti: randomUUID(),
      orgId: stream.scope,
      event: SSF_VERIFICATION,
      claims: { sub_id: { format: 'opaque', id: stream.id }, events: { [SSF_VERIFICATION]: data.state !== undefined ? { state: data.state } : {} } },
    });
  }

  /** Every stream of every scope (operators: the CLI), or of one scope, with its status and pending SETs. */
  async listAll(scope?: string): Promise<StreamOverview[]> {
    const streams = await this.deps.store.listSignalStreams(scope);
    return Promise.all(streams.map((s) => this.overview(s)));
  }

  /** A stream as operators see it: its SSF configuration, scope, status (and why) and how many SETs wait. */
  async overview(s: SignalStream): Promise<StreamOverview> {
    return { ...this.show(s), scope: s.scope, status: s.status, ...(s.statusReason ? { reason: s.statusReason } : {}), pending: await this.deps.store.countPendingSets(s.id) };
  }

  /** An operator acting on a stream of any scope: the principal that owns it (provider-wide, or the org's owner). */
  async operatorOf(id: string, actor: Actor): Promise<Principal> {
    const s = await this.deps.store.getSignalStream(id);
    if (!s) throw new IdsyncError('signals.stream_not_found', `Shared Signals stream ${id} not found`, { streamId: id });
    return s.scope === PROVIDER_SCOPE ? { kind: 'provider', actor } : { kind: 'org', orgId: s.scope, role: 'owner', actor };
  }

  /** The stream of this principal's scope; another scope's stream is not found. */
  async stream(p: Principal, id: string): Promise<SignalStream> {
    const s = await this.deps.store.getSignalStream(id);
    if (!s || s.scope !== scopeOf(p)) throw new IdsyncError('signals.stream_not_found', `Shared Signals stream ${id} not found`, { streamId: id });
    return s;
  }

  show(s: SignalStream) {
    return {
      stream_id: s.id,
      iss: this.issuer,
      aud: s.audience.length === 1 ? s.audience[0]! : s.audience,
      events_supported: [...SUPPORTED_EVENTS],
      events_requested: s.eventsRequested,
      events_delivered: s.eventsDelivered,
      delivery: s.delivery.method === PUSH_METHOD ? { method: s.delivery.method, endpoint_url: s.delivery.endpointUrl } : { method: s.delivery.method, endpoint_url: this.pollUrl(s.id) },
      ...(s.description !== undefined ? { description: s.description } : {}),
    };
  }

  pollUrl(id: string): string {
    return `${this.opts.publicUrl}/ssf/poll/${id}`;
  }

  private delivery(d: z.infer<typeof delivery>, cur?: SignalStream): SignalStream['delivery'] {
    if (d.method === POLL_METHOD) return { method: POLL_METHOD };
    if (!d.endpoint_url) throw invalid('delivery.endpoint_url', 'required for push delivery');
    if (!this.opts.allowPrivateNetworks) {
      const reason = blockedLiteralReason(d.endpoint_url);
      if (reason) throw invalid('delivery.endpoint_url', reason);
    }
    const kept = cur?.delivery.method === PUSH_METHOD ? cur.delivery.authorizationHeaderCiphertext : undefined;
    const sealed = d.authorization_header !== undefined ? this.box.seal(d.authorization_header) : kept;
    return { method: PUSH_METHOD, endpointUrl: d.endpoint_url, ...(sealed ? { authorizationHeaderCiphertext: sealed } : {}) };
  }

  private audit(actor: Actor, action: string, s: SignalStream, extra: { before?: unknown; after?: unknown; reason?: string }) {
    return { orgId: s.scope, actor, action, target: { type: 'signal_stream', id: s.id }, ...extra };
  }
}

const scopeOf = (p: Principal) => (p.kind === 'provider' ? PROVIDER_SCOPE : p.orgId);
const invalid = (field: string, message: string) => new IdsyncError('request.invalid', `${field}: ${message}`, { problems: [{ field, message }] });
/** events_requested ∩ events_supported; none requested means every supported one. */
const delivered = (requested: readonly string[] | undefined) =>
  requested === undefined || requested.length === 0 ? [...SUPPORTED_EVENTS] : SUPPORTED_EVENTS.filter((e) => requested.includes(e) || e === SSF_VERIFICATION);
/** The receiver's `aud` when it names one, else its push endpoint, else the stream's poll URN. */
const audienceOf = (aud: string | string[] | undefined, s: SignalStream) =>
  aud !== undefined ? (Array.isArray(aud) ? aud : [aud]) : s.delivery.method === PUSH_METHOD ? [new URL(s.delivery.endpointUrl).origin] : [`urn:idsync:ssf:stream:${s.id}`];
const summary = (s: SignalStream) => ({ delivery: s.delivery.method, endpointUrl: s.delivery.method === PUSH_METHOD ? s.delivery.endpointUrl : undefined, eventsDelivered: s.eventsDelivered, audience: s.audience, status: s.status });

/** `email:<lower-case>` and `opaque:<id>` keys of a subject (alone, in aliases, or a complex subject's user). */
export function subjectKeys(sub: unknown): string[] {
  const s = sub as { format?: string; email?: unknown; id?: unknown; identifiers?: unknown; user?: unknown };
  if (s?.format === 'email' && typeof s.email === 'string') return [`email:${s.email.toLowerCase()}`];
  if (s?.format === 'opaque' && typeof s.id === 'string') return [`opaque:${s.id}`];
  if (s?.format === 'aliases' && Array.isArray(s.identifiers)) return s.identifiers.flatMap((i) => (i && (i as { format?: string }).format !== 'aliases' ? subjectKeys(i) : []));
  if (s?.format === 'complex') return subjectKeys(s.user);
  return [];
}
