import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Actor, AuditEvent, ManagedBy } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { createServices } from '../../src/services/index.js';
import { twoReplicaStores } from '../support/redis-server.js';
import { memoryServices, steppingClock } from '../support/services.js';

const admin: Actor = { kind: 'admin', id: 'key-1' };
const scimActor: Actor = { kind: 'scim', id: 'tok-1', label: 'Okta' };
const scimWriter: ManagedBy = { kind: 'scim', tokenId: 'tok-1' };
const dirActor: Actor = { kind: 'directory', id: 'conn-1', label: 'google directory' };
const dirWriter: ManagedBy = { kind: 'directory', connectionId: 'conn-1' };
const profile = (userName: string) => ({ userName, name: {}, emails: [{ value: userName, primary: true }], attributes: {} });

/** The shape of an event: its keys and those of its parts, without the values. */
function shape(e: AuditEvent) {
  const keys = (v: unknown) => Object.keys(v as object).sort();
  return { event: keys(e), before: keys(e.before), after: keys(e.after), evidence: typeof e.evidence, actor: typeof e.actor };
}

describe('member writer (one audit shape for every status change)', () => {
  let env: ReturnType<typeof memoryServices>;
  let orgId: string;
  beforeEach(async () => {
    env = memoryServices();
    orgId = (await env.services.orgs.create({ name: 'Acme' }, admin)).id;
  });
  afterEach(() => env.close());

  async function lastDeactivation(memberId: string): Promise<AuditEvent> {
    const events = (await env.services.audit.list(orgId)).filter((e) => e.action === 'member.deactivated' && e.target.id === memberId);
    return events[events.length - 1]!;
  }

  it('when SCIM pushes active=false and the reconciler deactivates, then both events have the same shape: actor, source, reason, before/after, typed evidence', async () => {
    // Arrange: one SCIM-managed and one directory-managed member.
    const pushed = await env.services.provisioning.create(orgId, profile('ada@example.com'), true, scimActor, scimWriter);
    const pulled = await env.services.provisioning.create(orgId, profile('bob@example.com'), true, dirActor, dirWriter);

    // Act: SCIM's PUT/PATCH path, and the reconciler's call as it makes it (positional, untyped evidence).
    await env.services.provisioning.update(orgId, pushed.id, { active: false }, scimActor, scimWriter);
    await env.services.members.deactivate(orgId, pulled.id, dirActor, 'suspended in the directory', dirWriter, { match: 'identity', directoryId: 'd-bob', listing: 'suspended', runId: 'run-1', guards: { size: 'passed' } });

    // Assert
    const scim = await lastDeactivation(pushed.id);
    const reconcile = await lastDeactivation(pulled.id);
    expect(shape(scim)).toEqual(shape(reconcile));
    expect(scim).toMatchObject({
      actor: scimActor,
      source: 'scim',
      reason: 'deactivated by SCIM provisioning',
      before: { status: 'active', managedBy: scimWriter },
      after: { status: 'inactive' },
      evidence: { kind: 'activeAttribute', active: false, tokenId: 'tok-1' },
    });
    expect(reconcile).toMatchObject({
      actor: dirActor,
      source: 'reconcile',
      reason: 'suspended in the directory',
      before: { status: 'active' },
      after: { status: 'inactive' },
      evidence: { kind: 'unclassified', listing: 'suspended', runId: 'run-1', guards: { size: 'passed' } },
    });
    expect(await env.store.getMember(orgId, pushed.id)).toMatchObject({ deactivation: { by: scimActor, reason: 'deactivated by SCIM provisioning' } });
  });

  it('when typed evidence or a source is given, then it is written as given', async () => {
    const m = await env.services.provisioning.create(orgId, profile('cy@example.com'), true, dirActor, dirWriter);
    await env.services.members.deactivate(orgId, m.id, dirActor, 'deleted upstream (change notification)', dirWriter, { kind: 'deleted', directoryId: 'd-cy', deletedAt: '2026-02-28T00:00:00Z' }, 'notification');
    expect(await lastDeactivation(m.id)).toMatchObject({ source: 'notification', evidence: { kind: 'deleted', directoryId: 'd-cy', deletedAt: '2026-02-28T00:00:00Z' } });
  });

  it('when an admin deactivates, activates and removes without a reason, then each event still says why, by source', async () => {
    const m = await env.services.members.create(orgId, { email: 'dan@example.com' }, admin);
    await env.services.members.deactivate(orgId, m.id, admin, 'offboarding ticket 42');
    await env.services.members.activate(orgId, m.id, { kind: 'cli', label: 'ops' });
    await env.services.members.remove(orgId, m.id, admin, 'left');
    const events = (await env.services.audit.list(orgId)).filter((e) => e.target.id === m.id);
    expect(events.map((e) => [e.action, e.source, e.reason])).toEqual([
      ['member.created', 'admin', undefined],
      ['member.deactivated', 'admin', 'offboarding ticket 42'],
      ['member.activated', 'admin', 'activated by an administrator'],
      ['member.removed', 'admin', 'left'],
    ]);
    for (const e of events.slice(1)) expect(Object.keys(e.before as object)).toEqual(Object.keys(e.after as object));
  });

  it('when events carry the new source field, then the audit chain still verifies (it hashes the canonical JSON)', async () => {
    const m = await env.services.provisioning.create(orgId, profile('eve@example.com'), false, scimActor, scimWriter, 'provisioned inactive by SCIM');
    await env.services.provisioning.update(orgId, m.id, { active: true }, scimActor, scimWriter);
    const events = await env.services.audit.list(orgId);
    expect(events.filter((e) => e.source === 'scim').map((e) => e.action)).toEqual(['member.created', 'member.activated']);
    expect(await env.services.audit.verify(orgId)).toMatchObject({ ok: true, events: events.length });
  });
});

describe('member writer on Redis', () => {
  // The shared helper (not a backend class) so that this test does not depend on how the Redis store is built.
  const redis = twoReplicaStores('writer');

  it('when status changes with a source and evidence are stored as Redis JSON, then they read back as written and the chain verifies', async () => {
    const services = createServices({ store: redis.a, clock: steppingClock(), logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9) });
    const orgId = (await services.orgs.create({ name: 'Acme' }, admin)).id;
    const m = await services.provisioning.create(orgId, profile('ada@example.com'), true, scimActor, scimWriter);
    await services.provisioning.update(orgId, m.id, { active: false }, scimActor, scimWriter);
    await services.members.activate(orgId, m.id, admin);
    const events = await services.audit.list(orgId);
    expect(events.slice(-2).map((e) => [e.action, e.source, e.reason, (e.evidence as { kind?: string } | undefined)?.kind])).toEqual([
      ['member.deactivated', 'scim', 'deactivated by SCIM provisioning', 'activeAttribute'],
      ['member.activated', 'admin', 'activated by an administrator', undefined],
    ]);
    expect(await services.audit.verify(orgId)).toMatchObject({ ok: true, events: events.length });
  });
});

describe('one writer', () => {
  it("when src/ is read, then only services/members/writer.ts calls the store's createMember or updateMember outside the store", () => {
    const root = fileURLToPath(new URL('../../src', import.meta.url));
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
    const callers = files(root)
      .map((f) => relative(root, f))
      .filter((f) => !f.startsWith('store/') && !f.startsWith('ports/'))
      .filter((f) => /\bstore\.(createMember|updateMember)\(/.test(readFileSync(join(root, f), 'utf8')));
    expect(callers).toEqual(['services/members/writer.ts']);
  });
});
