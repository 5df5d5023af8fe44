import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Organization } from '../../src/domain/model.js';
import { aTeam, draft } from '../../src/store/conformance/fixtures.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

// More audit events than one read of the trail (1,000), written through the store to stay cheap.
const TEAMS = 1200;

describe.each(STORES)('audit trail walks past one batch on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let key: string;
  let org: Organization;
  let markerSeq: number;

  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    org = (await api.call<Organization>('post', '/orgs', key, { name: 'Audited' })).body;
    const { store } = f.daemon;
    for (let i = 0; i < TEAMS; i++) {
      const team = aTeam(org.id);
      await store.createTeam(team, draft(org.id, 'team.created', team.id));
    }
    const last = aTeam(org.id);
    await store.createTeam(last, draft(org.id, 'team.marker', last.id));
    markerSeq = (await store.listAudit(org.id, { afterSeq: TEAMS })).at(-1)!.seq;
  }, 120_000);
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  it('when the audit API is filtered on an action that only a late event has, then the read goes past the first 1,000 and finds it, with no next page', async () => {
    const page = await api.call<{ items: { seq: number; action: string }[]; next: number | null }>('get', `/orgs/${org.id}/audit?action=team.marker`, key);

    expect(page.status).toBe(200);
    expect(page.body.items.map((e) => [e.seq, e.action])).toEqual([[markerSeq, 'team.marker']]);
    expect(page.body.next).toBeNull();
  });

  it('when the chain of more than 1,000 events is verified, then every event is counted and the head is the last one', async () => {
    const verdict = await api.call<{ ok: boolean; events: number; head: { seq: number } }>('get', `/orgs/${org.id}/audit/verify`, key);

    expect(verdict.body).toMatchObject({ ok: true, events: markerSeq, head: { seq: markerSeq } });
    expect(markerSeq).toBeGreaterThan(TEAMS);
  });
});
