import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditVerification } from '../../src/domain/audit-verification.js';
import type { Organization } from '../../src/domain/model.js';
import { ApiClient } from '../support/api-client.js';
import { seedAuditChain } from '../support/audit-chain.js';
import { openTamper, rewriteFrom, type Tamper } from '../support/audit-tamper.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

const EVENTS = 40;

interface Head {
  seq: number;
  hash: string;
  at?: string;
  anchor: string;
}

describe.each(STORES)('audit chain anchors: a cut or rewritten trail against a head kept outside (%s)', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  let tamper: Tamper;

  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    tamper = await openTamper(f.env);
  }, 60_000);
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await tamper?.close();
    await f.dispose();
  });

  const orgWithTrail = async (name: string) => {
    const org = (await api.call<Organization>('post', '/orgs', provider, { name })).body;
    await seedAuditChain(f.env, f.daemon.store, org.id, EVENTS);
    const head = (await api.call<Head>('get', `/orgs/${org.id}/audit/head`, provider)).body;
    return { org, head };
  };
  const verify = (org: Organization, anchor?: string) => api.call<Record<string, unknown>>('get', `/orgs/${org.id}/audit/verify${anchor ? `?anchor=${encodeURIComponent(anchor)}` : ''}`, provider);
  const events = (org: Organization) => f.daemon.store.listAudit(org.id, { afterSeq: 0, limit: 1000 });
  const finished = async (org: Organization): Promise<AuditVerification> => {
    const until = Date.now() + 30_000;
    for (;;) {
      const v = (await api.call<AuditVerification>('get', `/orgs/${org.id}/audit/verifications/latest`, provider)).body;
      if (v.status !== 'running' || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('when the head is asked for, then the API and the CLI give the last event as SEQ:HASH, and each webhook payload carries its event as an anchor', async () => {
    const { org, head } = await orgWithTrail('Head Co');
    const trail = await events(org);
    const last = trail.at(-1)!;
    expect(head).toEqual({ seq: last.seq, hash: last.hash, at: last.at, anchor: `${last.seq}:${last.hash}` });
    const byCli = await cli(f.env, f.cwd, 'audit', 'head', '--org', org.id, '--json');
    expect(byCli.json()).toEqual(head);
    expect((await cli(f.env, f.cwd, 'audit', 'head', '--org', org.id)).stdout.trim()).toBe(head.anchor);

    // Outbox records written by the daemon (the org's creation) carry their event's seq and hash.
    const [created] = await f.daemon.store.listOutbox(org.id, { afterSeq: 0, limit: 1 });
    expect(created!.payload).toMatchObject({ auditSeq: 1, auditHash: trail[0]!.hash });
  }, 60_000);

  it('when the anchor is still in the trail, then the verdict is intact and the anchor matched (sync, CLI and background)', async () => {
    const { org, head } = await orgWithTrail('Good Co');
    expect((await verify(org, head.anchor)).body).toMatchObject({ ok: true, events: head.seq, anchor: { seq: head.seq, hash: head.hash, status: 'matched' } });
    const older = (await events(org))[9]!;
    expect((await verify(org, `${older.seq}:${older.hash.toUpperCase()}`)).body).toMatchObject({ ok: true, anchor: { seq: 10, status: 'matched' } });
    const byCli = await cli(f.env, f.cwd, 'audit', 'verify', '--org', org.id, '--anchor', head.anchor);
    expect(byCli.code).toBe(0);
    expect(byCli.stdout).toContain(`anchor ${head.anchor} matches`);

    const started = await api.call<AuditVerification>('post', `/orgs/${org.id}/audit/verifications`, provider, { anchor: head.anchor });
    expect(started.status).toBe(202);
    expect(started.body.anchor).toEqual({ seq: head.seq, hash: head.hash });
    expect(await finished(org)).toMatchObject({ status: 'intact', anchor: { seq: head.seq, hash: head.hash, status: 'matched' } });
  }, 60_000);

  it('when the last events are deleted in the database, then verifying without an anchor still says intact (the limit), and with the anchor says truncated', async () => {
    const { org, head } = await orgWithTrail('Cut Co');
    const keep = head.seq - 5;
    await tamper.cutAfter(org.id, keep);

    // The limit of a hash chain alone: what remains links up.
    expect((await verify(org)).body).toMatchObject({ ok: true, events: keep, head: { seq: keep } });
    expect((await api.call<Head>('get', `/orgs/${org.id}/audit/head`, provider)).body.seq).toBe(keep);

    expect((await verify(org, head.anchor)).body).toEqual({
      ok: false,
      events: keep,
      break: { seq: keep + 1, reason: 'truncated' },
      anchor: { seq: head.seq, hash: head.hash, status: 'beyond_head', headSeq: keep },
    });
    const byCli = await cli(f.env, f.cwd, 'audit', 'verify', '--org', org.id, '--anchor', head.anchor);
    expect(byCli.code).toBe(1);
    expect(byCli.stdout).toContain(`BROKEN at seq ${keep + 1} (truncated)`);
    expect(byCli.stdout).toContain(`the trail ends at seq ${keep} (truncated)`);

    await api.call('post', `/orgs/${org.id}/audit/verifications`, provider, { anchor: head.anchor });
    const verdict = await finished(org);
    expect(verdict).toMatchObject({ status: 'broken', checked: keep, break: { seq: keep + 1, reason: 'truncated' }, anchor: { status: 'beyond_head', headSeq: keep } });
    // The verdict is audited with its anchor (appended after what was left: seq keep + 1).
    const [audited] = await f.daemon.store.listAudit(org.id, { afterSeq: keep });
    expect(audited).toMatchObject({ seq: keep + 1, action: 'audit.verified', after: { intact: false, breakSeq: keep + 1, reason: 'truncated', anchor: { seq: head.seq, hash: head.hash, status: 'beyond_head' } } });

    // Events appended since the cut re-grow the trail, under the anchored seqs: the anchor then finds another event there.
    for (let i = 1; i <= 5; i++) expect((await api.call('post', `/orgs/${org.id}/teams`, provider, { displayName: `Regrown ${i}` })).status).toBe(201);
    const regrown = await verify(org, head.anchor);
    expect(regrown.body).toMatchObject({ ok: false, break: { seq: head.seq, reason: 'anchor_mismatch' }, anchor: { status: 'mismatch' } });
  }, 60_000);

  it('when the trail is rewritten consistently from one event on, then only an anchor at or after it catches it: anchor_mismatch with the hash found', async () => {
    const { org, head } = await orgWithTrail('Rewrite Co');
    const before = await events(org);
    const kept = before[9]!;
    const rewritten = rewriteFrom(before, 20, (e) => ({ ...e, after: { n: 'forged' } }));
    await tamper.overwrite(org.id, rewritten);

    expect((await verify(org)).body).toMatchObject({ ok: true, events: head.seq, head: { seq: head.seq, hash: rewritten.at(-1)!.hash } });
    expect((await verify(org, `${kept.seq}:${kept.hash}`)).body).toMatchObject({ ok: true, anchor: { status: 'matched' } });
    expect((await verify(org, head.anchor)).body).toEqual({
      ok: false,
      events: head.seq - 1,
      break: { seq: head.seq, reason: 'anchor_mismatch', eventId: before.at(-1)!.id },
      anchor: { seq: head.seq, hash: head.hash, status: 'mismatch', found: rewritten.at(-1)!.hash },
    });
    const byCli = await cli(f.env, f.cwd, 'audit', 'verify', '--org', org.id, '--anchor', head.anchor, '--json');
    expect(byCli.code).toBe(1);
    expect(byCli.json()).toMatchObject({ ok: false, break: { reason: 'anchor_mismatch' } });
  }, 60_000);

  it('when the anchored event itself is deleted, then the chain breaks there (seq_gap) and the anchor reads missing; a chain break before the anchor leaves it not reached', async () => {
    const { org, head } = await orgWithTrail('Gap Co');
    const trail = await events(org);
    const anchored = trail[29]!;
    await tamper.remove(org.id, anchored.seq);
    expect((await verify(org, `${anchored.seq}:${anchored.hash}`)).body).toMatchObject({ ok: false, break: { seq: anchored.seq, reason: 'seq_gap' }, anchor: { status: 'missing' } });
    expect((await verify(org, head.anchor)).body).toMatchObject({ ok: false, break: { seq: anchored.seq, reason: 'seq_gap' }, anchor: { status: 'not_reached' } });
  }, 60_000);

  it('when the anchor is not SEQ:HASH, then it is refused with request.invalid (API and CLI)', async () => {
    const { org } = await orgWithTrail('Typo Co');
    for (const bad of ['12', '0:' + 'a'.repeat(64), '3:abc', 'x:y']) {
      const r = await verify(org, bad);
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({ error: { code: 'request.invalid' } });
    }
    const post = await api.call('post', `/orgs/${org.id}/audit/verifications`, provider, { anchor: 'nope' });
    expect(post.status).toBe(400);
    const byCli = await cli(f.env, f.cwd, 'audit', 'verify', '--org', org.id, '--anchor', '5:zz');
    expect(byCli.code).not.toBe(0);
    expect(byCli.stderr).toContain('--anchor must be SEQ:HASH');
  }, 60_000);
});
