import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Organization } from '../../src/domain/model.js';
import { verifyWebhookSignature } from '../../src/services/webhooks/signing.js';
import { cli, tempDir, testEnv } from '../support/harness.js';

describe('idsync webhooks', () => {
  let receiver: Server;
  const got: { signature: string; body: string }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ signature: String(req.headers['x-idsync-signature']), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(() => {
    receiver.close();
  });

  it('when an operator registers, pings, lists and deletes an endpoint, then the ping arrives signed with the secret shown once', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Ops', '--json')).json<Organization>();
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/in`;
    const created = (await cli(env, cwd, 'webhooks', 'create', '--org', org.id, '--url', url, '--event', 'member.*', '--json')).json<{ id: string; secret: string }>();
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const ping = await cli(env, cwd, 'webhooks', 'ping', created.id, '--org', org.id, '--json');
    expect(ping.code).toBe(0);
    expect(ping.json()).toMatchObject({ delivered: true, statusCode: 204 });
    expect(verifyWebhookSignature(created.secret, got[0]!.signature, got[0]!.body, Math.floor(Date.now() / 1000))).toBe(true);
    const list = await cli(env, cwd, 'webhooks', 'list', '--org', org.id, '--json');
    expect(list.stdout).not.toContain(created.secret);
    expect(list.json<{ id: string; events: string[] }[]>()).toMatchObject([{ id: created.id, events: ['member.*'] }]);
    expect((await cli(env, cwd, 'webhooks', 'deliveries', created.id, '--org', org.id, '--json')).code).toBe(0);
    expect((await cli(env, cwd, 'webhooks', 'delete', created.id, '--org', org.id)).code).toBe(0);
    expect((await cli(env, cwd, 'webhooks', 'list', '--org', org.id, '--json')).json()).toEqual([]);
  });
});
