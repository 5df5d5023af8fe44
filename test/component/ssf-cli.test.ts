import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Organization } from '../../src/domain/model.js';
import { cli } from '../support/harness.js';
import { scimFixture } from '../support/scim.js';
import { pushReceiver, SetVerifier, SSF_VERIFICATION } from '../support/ssf-receiver.js';
import { until } from '../support/webhook-receiver.js';

describe('idsync ssf (sqlite)', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  beforeAll(async () => {
    f = await scimFixture('sqlite', { IDSYNC_WEBHOOK_POLL_MS: '50' });
  });
  afterAll(async () => {
    await f.dispose();
  });

  it('when an operator lists, pauses, verifies, rotates and deletes, then the streams and keys follow', async () => {
    const org = (await cli(f.env, f.cwd, 'orgs', 'create', '--name', 'Cli', '--json')).json<Organization>();
    const key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', org.id, '--json')).json<{ key: string }>().key;
    const verifier = new SetVerifier(`${f.daemon.url}/ssf/jwks.json`, 'https://idsync.example.com', 'urn:cli');
    const rx = await pushReceiver(() => verifier, 'Bearer cli');
    const ssf = (method: string, path: string, body?: unknown) =>
      fetch(`${f.daemon.url}${path}`, { method, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    try {
      const stream = (await (await ssf('POST', '/ssf/stream', { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rx.url, authorization_header: 'Bearer cli' }, aud: 'urn:cli' })).json()) as { stream_id: string };
      const listed = (await cli(f.env, f.cwd, 'ssf', 'streams', '--json')).json<{ stream_id: string; scope: string; status: string; pending: number }[]>();
      expect(listed).toEqual([expect.objectContaining({ stream_id: stream.stream_id, scope: org.id, status: 'enabled', pending: 0 })]);
      expect((await cli(f.env, f.cwd, 'ssf', 'pause', stream.stream_id, '--reason', 'upgrade')).stdout).toContain('is paused');
      expect(await (await ssf('GET', `/ssf/status?stream_id=${stream.stream_id}`)).json()).toEqual({ stream_id: stream.stream_id, status: 'paused', reason: 'upgrade' });
      expect((await cli(f.env, f.cwd, 'ssf', 'verify', stream.stream_id)).code).toBe(1);
      await cli(f.env, f.cwd, 'ssf', 'enable', stream.stream_id);
      expect((await cli(f.env, f.cwd, 'ssf', 'verify', stream.stream_id, '--state', 'from-cli')).code).toBe(0);
      const v = await until('verification from the CLI', () => rx.got.find((s) => s.event === SSF_VERIFICATION));
      expect(v.payload).toEqual({ state: 'from-cli' });

      const rotated = await cli(f.env, f.cwd, 'ssf', 'rotate-key');
      const kid = /new signing key (\S+)/.exec(rotated.stdout)![1];
      const jwks = (await (await fetch(`${f.daemon.url}/ssf/jwks.json`)).json()) as { keys: { kid: string }[] };
      expect(jwks.keys.map((k) => k.kid)).toEqual([kid, v.kid]);
      expect((await cli(f.env, f.cwd, 'ssf', 'delete', stream.stream_id)).code).toBe(0);
      expect((await ssf('GET', `/ssf/stream?stream_id=${stream.stream_id}`)).status).toBe(404);
      expect((await cli(f.env, f.cwd, 'ssf', 'delete', stream.stream_id)).stderr).toContain('signals.stream_not_found');
    } finally {
      await rx.close();
    }
  });
});
