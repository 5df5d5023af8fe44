import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { PROVIDER_SCOPE } from '../../src/ports/store.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';
import { pushReceiver, SetVerifier, SSF_VERIFICATION } from '../support/ssf-receiver.js';
import { until } from '../support/webhook-receiver.js';

const ISSUER = 'https://idsync.example.com';
const PUSH = 'urn:ietf:rfc:8935';
const POLL = 'urn:ietf:rfc:8936';

type Overview = { stream_id: string; scope: string; status: string; reason?: string; pending: number; delivery: { method: string; endpoint_url: string } };
type ErrorBody = { error: { code: string } };

describe.each(STORES)('Shared Signals streams in the admin API on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  let a: Organization;
  let b: Organization;
  let aKey: string;
  let bKey: string;
  let rx: Awaited<ReturnType<typeof pushReceiver>>;
  let pushA: string;
  let pushB: string;
  let pollAll: string;

  const createStream = async (key: string, body: unknown) => {
    const res = await fetch(`${f.daemon.url}/ssf/stream`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return ((await res.json()) as { stream_id: string }).stream_id;
  };

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_WEBHOOK_POLL_MS: '50' });
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    a = (await f.newOrg('Streams A')).org;
    b = (await f.newOrg('Streams B')).org;
    aKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', a.id, '--json')).json<{ key: string }>().key;
    bKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', b.id, '--json')).json<{ key: string }>().key;
    const verifier = new SetVerifier(`${f.daemon.url}/ssf/jwks.json`, ISSUER, 'urn:api-a');
    rx = await pushReceiver(() => verifier, 'Bearer rx');
    pushA = await createStream(aKey, { delivery: { method: PUSH, endpoint_url: rx.url, authorization_header: 'Bearer rx' }, aud: 'urn:api-a' });
    pushB = await createStream(bKey, { delivery: { method: PUSH, endpoint_url: rx.url }, aud: 'urn:api-b' });
    pollAll = await createStream(provider, { delivery: { method: POLL }, aud: 'urn:siem' });
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await rx.close();
    await f.dispose();
  });

  it('when streams are listed, then a provider-wide key sees every scope with pending counts and an org key only its own', async () => {
    const ada = (await api.call<Member>('post', `/orgs/${a.id}/members`, aKey, { email: 'ada@streams-a.example' })).body;
    await api.call('post', `/orgs/${a.id}/members/${ada.id}/deactivate`, aKey, {});
    const all = await until('the poll stream holds the two SETs', async () => {
      const r = await api.call<{ items: Overview[] }>('get', '/ssf/streams', provider);
      return r.body.items.find((x) => x.stream_id === pollAll)?.pending === 2 ? r.body.items : undefined;
    });
    expect(all.map((x) => [x.stream_id, x.scope, x.status])).toEqual([
      [pushA, a.id, 'enabled'],
      [pushB, b.id, 'enabled'],
      [pollAll, PROVIDER_SCOPE, 'enabled'],
    ]);
    expect(all[2]!.delivery).toEqual({ method: POLL, endpoint_url: `${ISSUER}/ssf/poll/${pollAll}` });
    expect((await api.call<{ items: Overview[] }>('get', '/ssf/streams', aKey)).body.items.map((x) => x.stream_id)).toEqual([pushA]);
    expect((await api.call<Overview>('get', `/ssf/streams/${pollAll}`, provider)).body).toMatchObject({ stream_id: pollAll, pending: 2 });
    expect((await api.call<ErrorBody>('get', `/ssf/streams/${pushA}`, bKey)).body.error.code).toBe('signals.stream_not_found');
    expect((await api.call('get', `/ssf/streams/${pollAll}`, aKey)).status).toBe(404);
    expect((await api.call('get', '/ssf/streams/no-such-stream', provider)).status).toBe(404);
    // An org key acting for a plain member is below owner.
    const plain = (await api.call<Member>('post', `/orgs/${a.id}/members`, aKey, { email: 'plain@streams-a.example' })).body;
    expect((await api.call('get', '/ssf/streams', aKey, undefined, { 'x-idsync-acting-member': plain.id })).status).toBe(403);
  });

  it('when a provider-wide key pauses an org stream, then verification is refused until it is enabled, the SET then arrives, and the org trail names the key', async () => {
    const paused = await api.call('post', `/ssf/streams/${pushA}/status`, provider, { status: 'paused', reason: 'receiver upgrade' });
    expect(paused.body).toEqual({ stream_id: pushA, status: 'paused', reason: 'receiver upgrade' });
    expect((await api.call<Overview>('get', `/ssf/streams/${pushA}`, aKey)).body).toMatchObject({ status: 'paused', reason: 'receiver upgrade' });
    const refused = await api.call<ErrorBody>('post', `/ssf/streams/${pushA}/verify`, aKey, { state: 'too-early' });
    expect([refused.status, refused.body.error.code]).toEqual([400, 'request.invalid']);
    expect((await api.call('post', `/ssf/streams/${pushA}/status`, aKey, { status: 'enabled' })).status).toBe(200);
    expect((await api.call('post', `/ssf/streams/${pushA}/verify`, aKey, { state: 'from-api' })).status).toBe(204);
    const v = await until('verification SET', () => rx.got.find((x) => x.event === SSF_VERIFICATION));
    expect(v.payload).toEqual({ state: 'from-api' });
    expect(v.claims.sub_id).toEqual({ format: 'opaque', id: pushA });
    expect((await api.call('post', `/ssf/streams/${pushA}/status`, aKey, { status: 'asleep' })).status).toBe(400);

    const trail = (await api.call<{ items: { action: string; actor: { kind: string; id?: string } }[] }>('get', `/orgs/${a.id}/audit?target=${pushA}&action=signals.stream_status_changed`, aKey)).body.items;
    expect(trail).toHaveLength(2);
    expect(trail.every((x) => x.actor.kind === 'admin')).toBe(true);
    expect(new Set(trail.map((x) => x.actor.id)).size).toBe(2);
  });

  it('when the signing key is rotated through the API, then only a provider-wide key may, and the JWKS publishes the new key first', async () => {
    expect((await api.call('post', '/ssf/keys/rotate', aKey)).status).toBe(403);
    const rotated = await api.call<{ kid: string }>('post', '/ssf/keys/rotate', provider);
    expect(rotated.status).toBe(200);
    const jwks = (await (await fetch(`${f.daemon.url}/ssf/jwks.json`)).json()) as { keys: { kid: string }[] };
    expect(jwks.keys[0]!.kid).toBe(rotated.body.kid);
    expect(jwks.keys).toHaveLength(2);
  });

  it('when streams are deleted, then an org key cannot delete another org’s, and a deleted stream is gone from the API and the SSF endpoint', async () => {
    expect((await api.call('delete', `/ssf/streams/${pushB}`, aKey)).status).toBe(404);
    expect((await api.call('delete', `/ssf/streams/${pushB}`, bKey)).status).toBe(204);
    expect((await api.call('delete', `/ssf/streams/${pollAll}`, provider)).status).toBe(204);
    expect((await api.call('get', `/ssf/streams/${pushB}`, provider)).status).toBe(404);
    const res = await fetch(`${f.daemon.url}/ssf/stream?stream_id=${pollAll}`, { headers: { authorization: `Bearer ${provider}` } });
    expect(res.status).toBe(404);
    expect((await api.call<{ items: Overview[] }>('get', '/ssf/streams', provider)).body.items.map((x) => x.stream_id)).toEqual([pushA]);
  });
});
