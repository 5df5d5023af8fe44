import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { PATCH, scimFixture, STORES, USER } from '../support/scim.js';
import { CAEP_SESSION_REVOKED, kidOf, pushReceiver, RISC_DISABLED, RISC_ENABLED, RISC_PURGED, SetVerifier, SSF_VERIFICATION, type VerifiedSet } from '../support/ssf-receiver.js';
import { until } from '../support/webhook-receiver.js';

const ISSUER = 'https://idsync.example.com';
const AUD = 'https://receiver.example';
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';
const FAST = { IDSYNC_WEBHOOK_POLL_MS: '50', IDSYNC_WEBHOOK_RETRY_BASE_MS: '50', IDSYNC_WEBHOOK_MAX_ATTEMPTS: '50' };

type Stream = { stream_id: string; iss: string; aud: string | string[]; events_delivered: string[]; delivery: { method: string; endpoint_url: string }; description?: string };

describe.each(STORES)('Shared Signals transmitter on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  let verifier: SetVerifier;
  let rx: Awaited<ReturnType<typeof pushReceiver>>;
  let a: Awaited<ReturnType<Awaited<ReturnType<typeof scimFixture>>['newOrg']>>;
  let orgKey: string;
  let push: Stream;

  const ssf = async <T = unknown>(method: string, path: string, key: string | undefined, body?: unknown) => {
    const res = await fetch(`${f.daemon.url}${path}`, {
      method: method.toUpperCase(),
      headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const addMember = async (org: Organization, key: string, email: string) => (await api.call<Member>('post', `/orgs/${org.id}/members`, key, { email })).body;
  const eventsFor = (got: VerifiedSet[], memberId: string) => got.filter((s) => s.memberId === memberId).map((s) => s.event);

  beforeAll(async () => {
    f = await scimFixture(kind, FAST);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    verifier = new SetVerifier(`${f.daemon.url}/ssf/jwks.json`, ISSUER, AUD);
    rx = await pushReceiver(() => verifier, 'Bearer receiver-secret');
    a = await f.newOrg('Signals A');
    orgKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', a.org.id, '--json')).json<{ key: string }>().key;
  });
  afterAll(async () => {
    await rx.close();
    await f.dispose();
  });

  it('when a receiver reads the metadata, then it names the issuer, JWKS, both delivery methods and every endpoint', async () => {
    const meta = await ssf<Record<string, unknown>>('get', '/.well-known/ssf-configuration', undefined);
    expect(meta.body).toMatchObject({
      spec_version: '1_0',
      issuer: ISSUER,
      jwks_uri: `${ISSUER}/ssf/jwks.json`,
      delivery_methods_supported: [PUSH, POLL],
      configuration_endpoint: `${ISSUER}/ssf/stream`,
      status_endpoint: `${ISSUER}/ssf/status`,
      add_subject_endpoint: `${ISSUER}/ssf/subjects/add`,
      remove_subject_endpoint: `${ISSUER}/ssf/subjects/remove`,
      verification_endpoint: `${ISSUER}/ssf/verify`,
      authorization_schemes: [{ spec_urn: 'urn:ietf:rfc:6750' }],
    });
    const jwks = await ssf<{ keys: { kty: string; crv: string; alg: string; kid: string; d?: string }[] }>('get', '/ssf/jwks.json', undefined);
    expect(jwks.body.keys).toHaveLength(1);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(jwks.body.keys[0]!.d).toBeUndefined();
    expect((await ssf('get', '/ssf/stream', undefined)).status).toBe(401);
  });

  it('when an org key creates a push stream and asks for verification, then the verification SET arrives signed, with its state', async () => {
    const created = await ssf<Stream>('post', '/ssf/stream', orgKey, { delivery: { method: PUSH, endpoint_url: rx.url, authorization_header: 'Bearer receiver-secret' }, aud: AUD, description: 'host product' });
    expect(created.status).toBe(201);
    push = created.body;
    expect(push).toMatchObject({ iss: ISSUER, aud: AUD, delivery: { method: PUSH, endpoint_url: rx.url }, events_delivered: expect.arrayContaining([CAEP_SESSION_REVOKED, RISC_DISABLED, RISC_ENABLED, RISC_PURGED]) });
    expect(JSON.stringify(push)).not.toContain('receiver-secret');
    expect((await ssf('post', '/ssf/verify', orgKey, { stream_id: push.stream_id, state: 'abc123' })).status).toBe(204);
    const v = await until('verification', () => rx.got.find((s) => s.event === SSF_VERIFICATION));
    expect(v.payload).toEqual({ state: 'abc123' });
    expect(v.claims.sub_id).toEqual({ format: 'opaque', id: push.stream_id });
  });

  it('when members are deactivated by SCIM and by the admin API, reactivated and removed, then each change arrives as its CAEP and RISC SETs', async () => {
    const scimUser = (await a.scim.post<{ id: string }>('/Users', { schemas: [USER], userName: 'sam@a.example', emails: [{ value: 'sam@a.example', primary: true }] })).body;
    await a.scim.patch(`/Users/${scimUser.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    const ada = await addMember(a.org, orgKey, 'ada@a.example');
    expect((await api.call('post', `/orgs/${a.org.id}/members/${ada.id}/deactivate`, orgKey, { reason: 'left the company' })).status).toBe(200);
    expect((await api.call('post', `/orgs/${a.org.id}/members/${ada.id}/activate`, orgKey, {})).status).toBe(200);
    expect((await api.call('delete', `/orgs/${a.org.id}/members/${ada.id}`, orgKey)).status).toBeLessThan(300);

    await until('SCIM deactivation SETs', () => eventsFor(rx.got, scimUser.id).length === 2);
    expect(eventsFor(rx.got, scimUser.id).sort()).toEqual([CAEP_SESSION_REVOKED, RISC_DISABLED].sort());
    const scimSet = rx.got.find((s) => s.memberId === scimUser.id && s.event === CAEP_SESSION_REVOKED)!;
    expect(scimSet).toMatchObject({ email: 'sam@a.example', tenant: a.org.id, payload: { initiating_entity: 'system' } });
    expect(String((scimSet.payload.reason_admin as { en: string }).en)).toContain('source: scim');

    await until('admin API SETs', () => eventsFor(rx.got, ada.id).length === 5);
    expect(eventsFor(rx.got, ada.id)).toEqual(expect.arrayContaining([CAEP_SESSION_REVOKED, RISC_DISABLED, RISC_ENABLED, RISC_PURGED]));
    const disabled = rx.got.find((s) => s.memberId === ada.id && s.event === RISC_DISABLED)!;
    expect(disabled.payload).toMatchObject({ initiating_entity: 'admin', reason_admin: { en: 'left the company (source: admin)' } });
    // The two SETs of one change share its txn (the audit event id).
    const revoked = rx.got.find((s) => s.memberId === ada.id && s.event === CAEP_SESSION_REVOKED)!;
    expect(new Set(rx.got.filter((s) => s.claims.txn === disabled.claims.txn).map((s) => s.event))).toEqual(new Set([RISC_DISABLED, CAEP_SESSION_REVOKED]));
    expect(revoked.claims.iss).toBe(ISSUER);
    expect(rx.refused).toEqual([]);
    expect(verifier.problems).toEqual([]);
  });

  it('when the receiver is down for a while, then every SET arrives once it is back', async () => {
    rx.answer(503, 503, 503, 503, 202);
    const people = await Promise.all(['d1', 'd2', 'd3'].map((n) => addMember(a.org, orgKey, `${n}@a.example`)));
    for (const m of people) await api.call('post', `/orgs/${a.org.id}/members/${m.id}/deactivate`, orgKey, {});
    await until('all after the outage', () => people.every((m) => eventsFor(rx.got, m.id).length === 2), 15_000);
    expect(rx.refused).toEqual([]);
    const metrics = await (await fetch(`${f.daemon.url}/metrics`)).text();
    expect(metrics).toContain(`idsync_ssf_push_attempts_total{stream="${push.stream_id}",status="retrying"}`);
    expect(metrics).toMatch(new RegExp(`idsync_ssf_push_attempts_total\\{stream="${push.stream_id}",status="delivered"\\} \\d+`));
    // The receiver holds a SET a moment before the worker records its delivery: the queue drains to 0 right after.
    await until('no SET pending', async () => (await (await fetch(`${f.daemon.url}/metrics`)).text()).includes(`idsync_ssf_sets_pending{stream="${push.stream_id}"} 0`));
  });

  it('when a stream is paused, a subject removed, or the stream read by another org, then SETs are held, filtered, and the stream hidden', async () => {
    const paused = await ssf<{ status: string }>('post', '/ssf/status', orgKey, { stream_id: push.stream_id, status: 'paused', reason: 'maintenance' });
    expect(paused.body).toMatchObject({ status: 'paused' });
    expect((await ssf('get', `/ssf/status?stream_id=${push.stream_id}`, orgKey)).body).toEqual({ stream_id: push.stream_id, status: 'paused', reason: 'maintenance' });
    const held = await addMember(a.org, orgKey, 'held@a.example');
    const skipped = await addMember(a.org, orgKey, 'skipped@a.example');
    expect((await ssf('post', '/ssf/subjects/remove', orgKey, { stream_id: push.stream_id, subject: { format: 'email', email: 'Skipped@a.example' } })).status).toBe(204);
    await api.call('post', `/orgs/${a.org.id}/members/${held.id}/deactivate`, orgKey, {});
    await api.call('post', `/orgs/${a.org.id}/members/${skipped.id}/deactivate`, orgKey, {});
    await new Promise((r) => setTimeout(r, 400));
    expect(eventsFor(rx.got, held.id)).toEqual([]);
    await ssf('post', '/ssf/status', orgKey, { stream_id: push.stream_id, status: 'enabled' });
    await until('held SETs after enabling', () => eventsFor(rx.got, held.id).length === 2, 10_000);
    expect(eventsFor(rx.got, skipped.id)).toEqual([]);

    const patched = await ssf<Stream>('patch', '/ssf/stream', orgKey, { stream_id: push.stream_id, description: 'renamed' });
    expect(patched.body).toMatchObject({ description: 'renamed', delivery: { endpoint_url: rx.url } });
    const b = await f.newOrg('Signals B');
    const bKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', b.org.id, '--json')).json<{ key: string }>().key;
    expect((await ssf('get', `/ssf/stream?stream_id=${push.stream_id}`, bKey)).status).toBe(404);
    expect((await ssf<Stream[]>('get', '/ssf/stream', bKey)).body).toEqual([]);
    expect((await ssf<Stream[]>('get', '/ssf/stream', orgKey)).body.map((s) => s.stream_id)).toEqual([push.stream_id]);
    const audit = await api.call<{ items: { action: string }[] }>('get', `/orgs/${a.org.id}/audit?target=${push.stream_id}`, orgKey);
    expect(audit.body.items.map((e) => e.action)).toEqual(expect.arrayContaining(['signals.stream_created', 'signals.stream_status_changed', 'signals.subject_removed', 'signals.stream_updated']));
  });

  it('when a provider-wide key polls, then it gets every org’s SETs with their tenant, acknowledges them, and pages with maxEvents', async () => {
    const pollVerifier = new SetVerifier(`${f.daemon.url}/ssf/jwks.json`, ISSUER, 'urn:siem');
    const stream = (await ssf<Stream>('post', '/ssf/stream', provider, { delivery: { method: POLL }, aud: 'urn:siem' })).body;
    expect(stream.delivery).toEqual({ method: POLL, endpoint_url: `${ISSUER}/ssf/poll/${stream.stream_id}` });
    const c = await f.newOrg('Signals C');
    const inA = await addMember(a.org, provider, 'polled-a@a.example');
    const inC = await addMember(c.org, provider, 'polled-c@c.example');
    await api.call('post', `/orgs/${a.org.id}/members/${inA.id}/deactivate`, provider, {});
    await api.call('post', `/orgs/${c.org.id}/members/${inC.id}/deactivate`, provider, {});
    const pollPath = `/ssf/poll/${stream.stream_id}`;
    const first = await until('first page', async () => {
      const r = await ssf<{ sets: Record<string, string>; moreAvailable: boolean }>('post', pollPath, provider, { maxEvents: 3, returnImmediately: true });
      return r.body.moreAvailable ? r.body : undefined;
    });
    expect(Object.keys(first.sets)).toHaveLength(3);
    const rest = await until('all four', async () => {
      const r = await ssf<{ sets: Record<string, string>; moreAvailable: boolean }>('post', pollPath, provider, { maxEvents: 10, returnImmediately: true });
      return Object.keys(r.body.sets).length === 4 ? r.body : undefined;
    });
    const sets = await Promise.all(Object.entries(rest.sets).map(async ([jti, jwt]) => ({ jti, v: await pollVerifier.verify(jwt) })));
    expect(sets.every(({ jti, v }) => v.claims.jti === jti)).toBe(true);
    expect(new Set(sets.map(({ v }) => v.tenant))).toEqual(new Set([a.org.id, c.org.id]));
    const [refusedJti, ...good] = Object.keys(rest.sets);
    const acked = await ssf<{ sets: Record<string, string> }>('post', pollPath, provider, { ack: good, setErrs: { [refusedJti!]: { err: 'invalid_key', description: 'test' } }, returnImmediately: true });
    expect(acked.body.sets).toEqual({});

    // A long poll waits for the next change instead of answering empty at once.
    const waiting = ssf<{ sets: Record<string, string> }>('post', pollPath, provider, { returnImmediately: false });
    await new Promise((r) => setTimeout(r, 300));
    const late = await addMember(c.org, provider, 'late@c.example');
    const started = Date.now();
    await api.call('post', `/orgs/${c.org.id}/members/${late.id}/deactivate`, provider, {});
    const longPolled = await waiting;
    expect(Date.now() - started).toBeLessThan(5000);
    const lateSets = await Promise.all(Object.values(longPolled.body.sets).map((jwt) => pollVerifier.verify(jwt)));
    expect(lateSets.length).toBeGreaterThan(0);
    expect(lateSets.every((v) => v.memberId === late.id && v.tenant === c.org.id)).toBe(true);
    expect((await ssf('post', pollPath, orgKey, { returnImmediately: true })).status).toBe(404);
  });

  it('when the signing key is rotated, then old SETs still verify against the JWKS and new ones use the new kid', async () => {
    const old = rx.got.find((s) => s.event !== SSF_VERIFICATION)!;
    expect((await ssf('post', '/ssf/keys/rotate', orgKey)).status).toBe(403);
    const rotated = await ssf<{ kid: string }>('post', '/ssf/keys/rotate', provider);
    expect(rotated.body.kid).not.toBe(old.kid);
    const jwks = await ssf<{ keys: { kid: string }[] }>('get', '/ssf/jwks.json', undefined);
    expect(jwks.body.keys.map((k) => k.kid)).toEqual([rotated.body.kid, old.kid]);
    await expect(verifier.verify(old.jwt, { fresh: false })).resolves.toMatchObject({ kid: old.kid });
    const m = await addMember(a.org, orgKey, 'after-rotation@a.example');
    await api.call('post', `/orgs/${a.org.id}/members/${m.id}/deactivate`, orgKey, {});
    const next = await until('SET after rotation', () => rx.got.find((s) => s.memberId === m.id));
    expect(kidOf(next.jwt)).toBe(rotated.body.kid);
    expect((await ssf('delete', `/ssf/stream?stream_id=${push.stream_id}`, orgKey)).status).toBe(204);
    expect((await ssf('get', `/ssf/stream?stream_id=${push.stream_id}`, orgKey)).status).toBe(404);
    expect(verifier.problems).toEqual([]);
  });
});
