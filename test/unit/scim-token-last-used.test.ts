import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/domain/model.js';
import { adjustableClock, memoryServices } from '../support/services.js';

const admin: Actor = { kind: 'admin', id: 'key-1', label: 'setup' };

describe('a SCIM token remembers when it was last used', () => {
  let env: ReturnType<typeof memoryServices>;
  let clock: ReturnType<typeof adjustableClock>;
  let orgId: string;
  beforeEach(async () => {
    clock = adjustableClock();
    env = memoryServices({ clock });
    orgId = (await env.services.orgs.create({ name: 'Acme' }, admin)).id;
  });
  afterEach(() => env.close());

  it('when a token authenticates, then lastUsedAt is set at once, kept within the minute, moved after it, and no audit event is written', async () => {
    const { token, record } = await env.services.credentials.createScimToken(orgId, admin, 'okta');
    expect(record.lastUsedAt).toBeUndefined();
    const auditBefore = (await env.store.listAudit(orgId)).length;
    const first = await env.services.credentials.authenticateScim(token);
    const stored = async () => (await env.services.credentials.listScimTokens(orgId))[0]!.lastUsedAt;
    const t1 = await stored();
    expect(t1).toBeDefined();
    expect('lastUsedAt' in first && first.lastUsedAt).toBe(t1);
    await env.services.credentials.authenticateScim(token);
    expect(await stored()).toBe(t1);
    clock.advanceHours(1);
    await env.services.credentials.authenticateScim(token);
    const t2 = await stored();
    expect(Date.parse(t2!) - Date.parse(t1!)).toBeGreaterThanOrEqual(3_600_000);
    expect((await env.store.listAudit(orgId)).length).toBe(auditBefore);
  });
});
