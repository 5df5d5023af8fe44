import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Invitation } from '../../src/domain/model.js';
import { collect } from '../../src/ports/paging.js';
import type { Store } from '../../src/ports/store.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { createServices, type Services } from '../../src/services/index.js';
import { anInvitation, anOrg, draft, hoursFrom, NOW } from '../../src/store/conformance/fixtures.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { RedisTestServer } from '../support/redis-server.js';

// The sweep runs one day after NOW: invitations that expired an hour after NOW are due, those
// expiring two days after NOW are not.
const SWEEP_AT = new Date(hoursFrom(NOW, 24));
const DUE = hoursFrom(NOW, 1);
const NOT_DUE = hoursFrom(NOW, 48);
const CAP = { pendingCap: 1_000_000, now: NOW };

let redis: RedisTestServer;
let prefix = 0;
beforeAll(async () => {
  redis = await RedisTestServer.start();
});
afterAll(async () => {
  await redis.dispose();
});

const setups: [string, () => Store & { close(): Promise<void> | void }][] = [
  ['sqlite', () => openSqliteStore({ path: ':memory:' })],
  ['redis', () => createRedisStore({ connection: { url: redis.url }, keyPrefix: `expiry${++prefix}` })],
];

describe.each(setups)('invitation expiry sweep on %s', (_name, open) => {
  let store: ReturnType<typeof open>;
  let services: Services;
  beforeEach(() => {
    store = open();
    services = createServices(
      { store, clock: { now: () => SWEEP_AT }, logger: silentLogger },
      { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9), publicUrl: 'https://idsync.test' },
    );
  });
  afterEach(async () => {
    await store.close();
  });

  async function newOrg(): Promise<string> {
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));
    return org.id;
  }

  async function invite(orgId: string, count: number, expiresAt: string): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const inv = anInvitation(orgId, { expiresAt });
      await store.createInvitation(inv, draft(orgId, 'invitation.created', inv.id), CAP);
      ids.push(inv.id);
    }
    return ids;
  }

  const stored = (orgId: string, statuses: Invitation['status'][]) => collect((page) => store.listInvitations(orgId, { ...page, statuses }));

  it('when one org holds 1,250 due and 30 live pending invitations, then one sweep expires all 1,250 and leaves the live ones pending', async () => {
    const orgId = await newOrg();
    // Interleaved, so the due ones sit on both sides of the 1,000-record page boundary.
    const due: string[] = [];
    const live: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      due.push(...(await invite(orgId, 125, DUE)));
      live.push(...(await invite(orgId, 3, NOT_DUE)));
    }

    expect(await services.invitations.expireDue()).toBe(1250);

    expect((await stored(orgId, ['expired'])).map((i) => i.id).sort()).toEqual([...due].sort());
    expect((await stored(orgId, ['pending'])).map((i) => i.id).sort()).toEqual([...live].sort());
    const expired = await store.getInvitation(orgId, due[1100]!);
    expect(expired).toMatchObject({ status: 'expired', endReason: 'expired', updatedAt: SWEEP_AT.toISOString() });
    expect(await services.invitations.expireDue()).toBe(0);
  }, 120_000);

  it('when 120 orgs each hold one due invitation, then the sweep reaches every org, past the first page of orgs', async () => {
    const orgIds: string[] = [];
    for (let i = 0; i < 120; i++) {
      const orgId = await newOrg();
      await invite(orgId, 1, DUE);
      orgIds.push(orgId);
    }

    expect(await services.invitations.expireDue()).toBe(120);

    for (const orgId of [orgIds[0]!, orgIds[99]!, orgIds[100]!, orgIds[119]!]) {
      expect(await stored(orgId, ['pending'])).toEqual([]);
      expect(await stored(orgId, ['expired'])).toHaveLength(1);
    }
    const audit = await services.audit.list(orgIds[119]!);
    expect(audit.filter((e) => e.action === 'invitation.expired')).toEqual([
      expect.objectContaining({ actor: { kind: 'system', label: 'invitation expiry' }, after: { status: 'expired', expiresAt: DUE } }),
    ]);
  }, 120_000);

  it('when one org cannot be written, then the orgs after it are still swept and the failure is logged with its org id', async () => {
    const [first, broken, last] = [await newOrg(), await newOrg(), await newOrg()];
    for (const orgId of [first, broken, last]) await invite(orgId, 2, DUE);
    const errors: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger = { ...silentLogger, error: (message: string, fields?: Record<string, unknown>) => void errors.push({ message, ...(fields ? { fields } : {}) }) };
    // The store is a frozen object of bound methods: a copy with one method swapped stands in for it.
    const failing: Store = {
      ...store,
      updateInvitation: (...args: Parameters<Store['updateInvitation']>) => (args[0] === broken ? Promise.reject(new Error('disk on fire')) : store.updateInvitation(...args)),
    };
    const sweeping = createServices({ store: failing, clock: { now: () => SWEEP_AT }, logger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9) });

    expect(await sweeping.invitations.expireDue()).toBe(4);

    expect(await stored(last, ['expired'])).toHaveLength(2);
    expect(await stored(broken, ['pending'])).toHaveLength(2);
    expect(errors).toEqual([{ message: expect.stringContaining('invitation expiry failed'), fields: { orgId: broken, error: 'disk on fire' } }]);
  });
});
