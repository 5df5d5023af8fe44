import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { isIdsyncError } from '../../src/domain/errors.js';
import type { Actor } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock } from '../../src/ports/clock.js';
import { createServices } from '../../src/services/index.js';
import { SEAL_PURPOSE, SecretBox } from '../../src/services/secret-box.js';
import { WebhookWorker } from '../../src/services/webhooks/worker.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const admin: Actor = { kind: 'admin', id: 'key-1' };
const secretKey = Buffer.alloc(32, 5);

/** A local receiver on 127.0.0.1 that counts what reaches it. */
async function receiver() {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.end('ok'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, requests: () => requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Real services and worker on an in-memory store, with the given destination policy. */
function installation(allowPrivateNetworks: boolean) {
  const store = openSqliteStore({ path: ':memory:' });
  const deps = { store, clock: systemClock, logger: silentLogger };
  const services = createServices(deps, { connectors: createBuiltinRegistry(), secretKey, webhooks: { allowPrivateNetworks } });
  const worker = new WebhookWorker({ ...deps, box: new SecretBox(secretKey, SEAL_PURPOSE.webhookSecrets), maxAttempts: 1, allowPrivateNetworks });
  return { store, services, worker };
}

async function invalidMessage(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isIdsyncError(err, 'request.invalid')) return err.message;
    throw err;
  }
  throw new Error('expected request.invalid');
}

describe('webhook destinations', () => {
  let rx: Awaited<ReturnType<typeof receiver>>;
  beforeEach(async () => {
    rx = await receiver();
  });
  afterEach(() => rx.close());

  async function deliverOnce(allowPrivateNetworks: boolean) {
    const { store, services, worker } = installation(allowPrivateNetworks);
    try {
      const orgId = (await services.orgs.create({ name: 'Acme' }, admin)).id;
      const { endpoint } = await services.webhooks.create(orgId, { url: `http://localhost:${rx.port}/hook`, events: ['member.created'] }, admin);
      await services.members.create(orgId, { email: 'ada@example.com', givenName: 'Ada' }, admin);
      await worker.tick();
      const ping = await services.webhooks.ping(orgId, endpoint.id);
      const { items } = await services.webhooks.listDeliveries(orgId, endpoint.id);
      return { deliveries: items, ping };
    } finally {
      await worker.stop();
      await store.close();
    }
  }

  it('when private networks are not allowed, then an IP-literal URL in a private range is refused at registration and update', async () => {
    const { store, services } = installation(false);
    try {
      const orgId = (await services.orgs.create({ name: 'Acme' }, admin)).id;
      expect(await invalidMessage(services.webhooks.create(orgId, { url: 'https://10.1.2.3/hook' }, admin))).toBe(
        'url: 10.1.2.3 is a private, loopback or reserved address; webhooks may not target internal networks unless webhooks.allowPrivateNetworks (IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS) is true',
      );
      const { endpoint } = await services.webhooks.create(orgId, { url: 'https://hooks.example.com/in' }, admin);
      expect(await invalidMessage(services.webhooks.update(orgId, endpoint.id, { url: 'https://[::ffff:169.254.169.254]/latest' }, admin))).toMatch(/^url: ::ffff:a9fe:a9fe is a private, loopback or reserved address/);
      expect((await services.webhooks.get(orgId, endpoint.id)).url).toBe('https://hooks.example.com/in');
    } finally {
      await store.close();
    }
  });

  it('when private networks are not allowed and the host resolves to loopback, then the delivery and the ping fail without connecting', async () => {
    const { deliveries, ping } = await deliverOnce(false);

    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'failed', attempts: 1, eventType: 'member.created' });
    expect(deliveries[0]?.lastStatusCode).toBeUndefined();
    expect(deliveries[0]?.lastError).toMatch(
      /^destination refused: localhost resolves to (127\.0\.0\.1|::1)(, [0-9a-f.:]+)*, a private, loopback or reserved address; set webhooks\.allowPrivateNetworks \(IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS\) to true to allow internal destinations$/,
    );
    expect(ping).toMatchObject({ delivered: false, error: deliveries[0]?.lastError });
    expect(rx.requests()).toBe(0);
  });

  it('when private networks are allowed, then the same delivery and ping reach the local receiver', async () => {
    const { deliveries, ping } = await deliverOnce(true);

    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200 });
    expect(ping).toMatchObject({ delivered: true, statusCode: 200 });
    expect(rx.requests()).toBe(2);
  });
});
