import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConsoleSession, PortalLink } from '../../src/domain/console.js';
import type { RoleMapping } from '../../src/domain/model.js';
import type { SigningKey } from '../../src/domain/signals.js';
import { verifyChain } from '../../src/ports/audit-chain.js';
import type { MergeJournal, Store } from '../../src/ports/store.js';
import { anOrg, draft, hoursFrom, NOW } from '../../src/store/conformance/fixtures.js';
import { codeOf } from '../../src/store/conformance/harness.js';
import { aQueuedSet, aStream } from '../../src/store/conformance/suite-signals.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { PostgresTestServer } from '../support/postgres-server.js';

// The store areas added beside the PostgreSQL backend (sessions, role mappings, merge journals,
// Shared Signals), raced from two replicas: two stores, each with its own pool, on one schema.
const T0 = Date.parse(NOW);
const MIN = 60_000;
const sha = () => createHash('sha256').update(randomBytes(32)).digest('hex');

describe('PostgreSQL store areas raced by two replicas on one schema', () => {
  let server: PostgresTestServer;
  let a: Store;
  let b: Store;
  const either = (i: number) => (i % 2 ? a : b);
  beforeAll(async () => {
    server = await PostgresTestServer.start();
    a = await openPostgresStore({ url: server.url(), schema: 'replicas', poolSize: 5 });
    b = await openPostgresStore({ url: server.url(), schema: 'replicas', poolSize: 5 });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await server?.dispose();
  });

  async function newOrg() {
    const org = anOrg();
    await a.createOrg(org, draft(org.id, 'org.created', org.id));
    return org;
  }

  it('when both open one portal link at once, then exactly one consumes it; a session signed out on one is gone on the other', async () => {
    const org = await newOrg();
    const link: PortalLink = { tokenHash: sha(), orgId: org.id, intent: 'all', createdBy: { kind: 'cli', label: 'idsync CLI' }, createdAt: NOW, expiresAt: hoursFrom(NOW, 1) };
    await a.createPortalLink(link);
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => either(i).consumePortalLink(link.tokenHash, new Date(T0 + MIN))));
    expect(outcomes.filter((o) => o.outcome === 'consumed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'used')).toHaveLength(19);

    const session: ConsoleSession = {
      idHash: sha(),
      publicId: 'ab12cd34',
      orgId: org.id,
      intent: 'members',
      actor: { kind: 'portal', id: 'ab12cd34', label: 'portal link' },
      csrfSecret: 'csrf',
      createdAt: NOW,
      lastSeenAt: NOW,
      idleExpiresAt: new Date(T0 + 30 * MIN).toISOString(),
      expiresAt: new Date(T0 + 360 * MIN).toISOString(),
    };
    await a.createConsoleSession(session);
    expect(await b.touchConsoleSession(session.idHash, new Date(T0 + MIN), 30 * MIN)).toMatchObject({ idleExpiresAt: new Date(T0 + 31 * MIN).toISOString() });
    expect(await a.revokeConsoleSession(session.idHash, new Date(T0 + 2 * MIN))).toBe(true);
    expect(await b.touchConsoleSession(session.idHash, new Date(T0 + 3 * MIN), 30 * MIN)).toBeUndefined();
    expect(await b.revokeConsoleSession(session.idHash, new Date(T0 + 3 * MIN))).toBe(false);
  });

  it('when both map one group and update one mapping at once, then one create wins, no update is lost and the audit chain has no fork', async () => {
    const org = await newOrg();
    const m: RoleMapping = { id: 'rm-scim-admins', orgId: org.id, source: 'scim', group: 'admins', role: 'admin', precedence: 0, createdAt: NOW, updatedAt: NOW, version: 1 };
    const creates = await Promise.all(Array.from({ length: 10 }, (_, i) => codeOf(either(i).createRoleMapping(m, draft(org.id, 'role_mapping.created', m.id)))));
    expect(creates.filter((c) => c === 'ok')).toHaveLength(1);
    expect(creates.filter((c) => c === 'role_mapping.exists')).toHaveLength(9);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => either(i).updateRoleMapping(org.id, m.id, (cur) => ({ next: { ...cur, precedence: cur.precedence + 1 }, audit: draft(org.id, 'role_mapping.updated', m.id) }))),
    );
    expect(await b.getRoleMapping(org.id, m.id)).toMatchObject({ precedence: 20, version: 21 });
    const events = await a.listAudit(org.id, { limit: 1000 });
    expect(events).toHaveLength(1 + 1 + 20);
    expect(verifyChain([...events])).toMatchObject({ ok: true, head: { seq: 22 } });
  });

  it('when both start one merge at once, then one journal is created and every caller gets that one', async () => {
    const [source, target] = [await newOrg(), await newOrg()];
    const journal = (targetOrgId: string): MergeJournal => ({
      sourceOrgId: source.id,
      targetOrgId,
      status: 'running',
      plan: { sourceOrgId: source.id, targetOrgId, blockers: [], members: [], teams: [], invitations: [], links: [], connections: [], credentials: [], audit: [] },
      done: [],
      startedAt: NOW,
      updatedAt: NOW,
      version: 1,
    });
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => either(i).createMerge(journal(i === 3 ? target.id : `${target.id}-${i}`))));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    const kept = results.find((r) => r.created)!.journal;
    expect(results.map((r) => r.journal)).toEqual(Array.from({ length: 10 }, () => kept));
    expect(await b.getMerge(source.id)).toEqual(kept);
  });

  it('when both add signing keys at once and update one stream, then exactly the newest two keys are kept, no stream update is lost and each SET is acknowledged once', async () => {
    const key = (i: number): SigningKey => ({ kid: `k${i}`, alg: 'ES256', publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }, privateCiphertext: `v1:${i}`, createdAt: new Date(T0 + i * MIN).toISOString() });
    // Rounds of ten racing adds (a rotation on every replica at once): after each, the newest two.
    for (let round = 0; round < 6; round++) {
      const ids = Array.from({ length: 10 }, (_, i) => round * 10 + i);
      await Promise.all(ids.map((i) => either(i).addSigningKey(key(i), 2)));
      expect((await a.listSigningKeys()).map((k) => k.kid)).toEqual([`k${round * 10 + 9}`, `k${round * 10 + 8}`]);
    }

    const org = await newOrg();
    const s = aStream(org.id);
    await b.createSignalStream(s, draft(org.id, 'signals.stream_created', s.id));
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        either(i).updateSignalStream(s.id, (cur) => ({ next: { ...cur, excludedSubjects: [...cur.excludedSubjects, `opaque:m${i}`] }, audit: draft(org.id, 'signals.stream_updated', s.id) })),
      ),
    );
    const stream = await a.getSignalStream(s.id);
    expect(stream?.version).toBe(11);
    expect([...(stream?.excludedSubjects ?? [])].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `opaque:m${i}`).sort());
    expect(verifyChain([...(await b.listAudit(org.id, { limit: 1000 }))])).toMatchObject({ ok: true, head: { seq: 12 } });

    // Both replicas acknowledge the same ten SETs (a push and a poll racing): each is counted once.
    const sets = Array.from({ length: 10 }, (_, i) => aQueuedSet(s.id, { jti: `j${i}`, orgId: org.id }));
    for (const set of sets) await either(sets.indexOf(set)).enqueueSet(set);
    const acked = await Promise.all(Array.from({ length: 6 }, (_, i) => either(i).ackSets(s.id, sets.map((x) => x.jti))));
    expect(acked.reduce((x, y) => x + y, 0)).toBe(10);
    expect(await a.countPendingSets(s.id)).toBe(0);
    expect(await b.enqueueSet(sets[0]!)).toBe(false);
  });
});
