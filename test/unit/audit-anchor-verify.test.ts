import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseAnchor } from '../../src/domain/audit-anchor.js';
import type { AuditEvent } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { AuditService } from '../../src/services/audit.js';
import { anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { openTamper, type Tamper } from '../support/audit-tamper.js';
import { tempDir } from '../support/harness.js';
import { code, steppingClock } from '../support/services.js';

// Batches of 7 over 30 events: anchors, gaps and cuts land on and across batch edges.
const BATCH = 7;

describe('verifying against an anchor across batch edges (SQLite file, rows deleted with a second connection)', () => {
  let dir: string;
  let store: ReturnType<typeof openSqliteStore>;
  let tamper: Tamper;
  let audit: AuditService;
  let orgId: string;
  let trail: AuditEvent[];

  beforeEach(async () => {
    dir = tempDir();
    store = openSqliteStore({ path: join(dir, 'idsync.db') });
    audit = new AuditService({ store, clock: steppingClock(), logger: silentLogger });
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));
    for (let i = 2; i <= 30; i++) await store.appendAudit(draft(org.id, 'test.event', `t${i}`));
    orgId = org.id;
    trail = await store.listAudit(orgId);
    tamper = await openTamper({ IDSYNC_DATA_DIR: dir });
  });
  afterEach(async () => {
    await tamper.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const at = (seq: number) => ({ seq, hash: trail[seq - 1]!.hash });

  it('when the anchor is in a later batch, then it is matched there', async () => {
    expect(await audit.verify(orgId, { batch: BATCH, anchor: at(23) })).toMatchObject({ ok: true, events: 30, anchor: { seq: 23, status: 'matched' } });
    expect(await audit.verify(orgId, { batch: BATCH, anchor: at(30) })).toMatchObject({ ok: true, anchor: { status: 'matched' } });
  });

  it('when the trail is cut at a batch edge, then the anchor past it reads truncated with the first event missing', async () => {
    await tamper.cutAfter(orgId, 14);
    expect(await audit.verify(orgId, { batch: BATCH })).toMatchObject({ ok: true, events: 14 });
    expect(await audit.verify(orgId, { batch: BATCH, anchor: at(30) })).toEqual({
      ok: false,
      events: 14,
      break: { seq: 15, reason: 'truncated' },
      anchor: { ...at(30), status: 'beyond_head', headSeq: 14 },
    });
    expect(await audit.verify(orgId, { batch: BATCH, anchor: at(14) })).toMatchObject({ ok: true, anchor: { status: 'matched' } });
  });

  it('when a gap starts at a batch edge and covers the anchor, then the anchor reads missing; past the gap it is not reached', async () => {
    for (const seq of [15, 16, 17]) await tamper.remove(orgId, seq);
    expect(await audit.verify(orgId, { batch: BATCH, anchor: at(16) })).toMatchObject({ ok: false, events: 14, break: { seq: 15, reason: 'seq_gap' }, anchor: { seq: 16, status: 'missing' } });
    expect(await audit.verify(orgId, { batch: BATCH, anchor: at(18) })).toMatchObject({ ok: false, break: { seq: 15, reason: 'seq_gap' }, anchor: { status: 'not_reached' } });
    // An anchor before the gap matched first; the chain's break is still the verdict.
    expect(await audit.verify(orgId, { batch: BATCH, anchor: at(10) })).toMatchObject({ ok: false, break: { seq: 15, reason: 'seq_gap' }, anchor: { status: 'matched' } });
  });

  it('when the anchor has another hash and the chain breaks later in the same batch, then the anchor is the first problem', async () => {
    await tamper.remove(orgId, 12);
    const wrong = { seq: 9, hash: trail[0]!.hash };
    expect(await audit.verify(orgId, { batch: BATCH, anchor: wrong })).toEqual({
      ok: false,
      events: 8,
      break: { seq: 9, reason: 'anchor_mismatch', eventId: trail[8]!.id },
      anchor: { ...wrong, status: 'mismatch', found: trail[8]!.hash },
    });
  });

  it('when the head is asked for, then it is the last event; an empty chain answers seq 0', async () => {
    expect(await audit.head(orgId)).toEqual({ seq: 30, hash: trail[29]!.hash, at: trail[29]!.at });
    expect(await audit.head('no-such-org')).toEqual({ seq: 0, hash: '0'.repeat(64) });
  });

  it('when an anchor is parsed, then SEQ:HASH is accepted (hash lower-cased) and anything else is request.invalid', async () => {
    expect(parseAnchor(` 7:${'AB'.repeat(32)} `)).toEqual({ seq: 7, hash: 'ab'.repeat(32) });
    for (const bad of ['', '7', `0:${'a'.repeat(64)}`, `-1:${'a'.repeat(64)}`, `7:${'a'.repeat(63)}`, `7:${'g'.repeat(64)}`, `7:${'a'.repeat(64)}:x`]) {
      expect(await code(Promise.resolve().then(() => parseAnchor(bad)))).toBe('request.invalid');
    }
  });
});
