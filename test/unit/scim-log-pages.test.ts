import { describe, expect, it } from '@jest/globals';
import type { ScimLogEntry } from '../../src/domain/scim-log.js';
import { entryOfSlot, pageOfSlots, pagesOf, slotsOfPage, type StoredSlot } from '../../src/store/sqlite/scim-log-pages.js';

const OKTA = 'Okta SCIM Client 1.0.0';
const ENTRA = 'Microsoft.Identity.Provisioning.Scim/1.0';
const okta = { id: 'tok-okta', label: 'Okta provisioning' };
const users = { type: 'Users' };

const lookup = (i: number, over: Partial<ScimLogEntry> = {}): ScimLogEntry => ({
  orgId: 'o1',
  at: `2026-12-06T10:00:${String(i % 60).padStart(2, '0')}.000Z`,
  method: 'GET',
  path: `/Users?filter=userName%20eq%20%22user${i}%40example.com%22`,
  status: 200,
  latencyMs: 1.5,
  idp: 'okta',
  userAgent: OKTA,
  credential: okta,
  resource: users,
  ...over,
});

const entriesOf = (text: string, orgId = 'o1') => slotsOfPage(text).map((s) => (s === null ? null : entryOfSlot(s, orgId)));

describe('SQLite SCIM log pages', () => {
  it('when a batch repeats its User-Agent, credential and resource, then its page holds each once and reads back every entry as given', () => {
    const batch = Array.from({ length: 50 }, (_, i) => lookup(i));
    const [page] = pagesOf(batch);
    const text = page![5];
    expect(text.split(OKTA)).toHaveLength(2);
    expect(text.split('tok-okta')).toHaveLength(2);
    expect(text.split('"Users"')).toHaveLength(2);
    expect(entriesOf(text)).toEqual(batch);
  });

  it('when equal credentials come as different objects, then they are still stored once', () => {
    const batch = [lookup(1, { credential: { id: 'tok-okta', label: 'Okta provisioning' } }), lookup(2, { credential: { id: 'tok-okta', label: 'Okta provisioning' } })];
    const text = pagesOf(batch)[0]![5];
    expect(text.split('tok-okta')).toHaveLength(2);
    expect(entriesOf(text)).toEqual(batch);
  });

  it('when entries differ in IdP, carry bodies and errors, or lack optional fields, then each reads back exactly (nothing added, nothing lost)', () => {
    const batch: ScimLogEntry[] = [
      lookup(1),
      lookup(2, { idp: 'entra', userAgent: ENTRA, credential: { id: 'tok-entra' } }),
      { orgId: 'o1', at: '2026-12-06T10:00:03.000Z', method: 'GET', path: '/Users', status: 401, latencyMs: 0.2, idp: 'other' },
      lookup(4, { method: 'POST', path: '/Users', status: 409, resource: { type: 'Users', id: 'u-4' }, requestBody: '{"userName":"a"}', error: { status: '409', scimType: 'uniqueness', detail: 'taken' } }),
      lookup(5, { method: 'POST', path: '/Bulk', resource: { type: 'Bulk' }, operationErrors: [{ operation: 2, status: '400', detail: 'bad', method: 'PATCH', path: '/Users/x' }] }),
    ];
    const text = pagesOf(batch)[0]![5];
    expect(entriesOf(text)).toEqual(batch);
  });

  it('when a batch holds several orgs, then each gets its own page with its own entries, count, time bounds and status classes', () => {
    const batch = [lookup(1), lookup(2, { orgId: 'o2', status: 404, idp: 'entra', userAgent: ENTRA }), lookup(3, { status: 201 })];
    const pages = pagesOf(batch);
    expect(pages.map(([org, n, min, max, statuses]) => [org, n, min, max, statuses])).toEqual([
      ['o1', 2, Date.parse('2026-12-06T10:00:01.000Z'), Date.parse('2026-12-06T10:00:03.000Z'), 1 << 2],
      ['o2', 1, Date.parse('2026-12-06T10:00:02.000Z'), Date.parse('2026-12-06T10:00:02.000Z'), 1 << 4],
    ]);
    expect(entriesOf(pages[0]![5])).toEqual([batch[0], batch[2]]);
    expect(entriesOf(pages[1]![5], 'o2')).toEqual([batch[1]]);
  });

  it('when retention empties slots and the page is written again, then the others keep their slots and values', () => {
    const batch = Array.from({ length: 5 }, (_, i) => lookup(i, i === 3 ? { idp: 'entra', userAgent: ENTRA } : {}));
    const slots = slotsOfPage(pagesOf(batch)[0]![5]);
    slots[0] = null;
    slots[3] = null;
    const again = pageOfSlots(slots);
    expect(entriesOf(again)).toEqual([null, batch[1], batch[2], null, batch[4]]);
    // The emptied entry's User-Agent is no longer kept.
    expect(again).not.toContain(ENTRA);
  });

  it('when pages were written by earlier versions (a bare array of field arrays, or of entry objects), then they read as before and are rewritten in the shared form', () => {
    const fields = [['2026-12-05T09:00:00.000Z', 'GET', '/Users', 200, 2, 'okta', OKTA, { id: 'tok-okta' }, { type: 'Users' }, null, null, null]];
    expect(entriesOf(JSON.stringify(fields))).toEqual([{ orgId: 'o1', at: '2026-12-05T09:00:00.000Z', method: 'GET', path: '/Users', status: 200, latencyMs: 2, idp: 'okta', userAgent: OKTA, credential: { id: 'tok-okta' }, resource: { type: 'Users' } }]);
    const row = lookup(7);
    const objects: StoredSlot[] = [row, null];
    expect(entriesOf(JSON.stringify(objects))).toEqual([row, null]);
    const rewritten = pageOfSlots([...slotsOfPage(JSON.stringify(fields)), row]);
    expect(JSON.parse(rewritten)).toHaveProperty('shared');
    expect(entriesOf(rewritten)).toEqual([entriesOf(JSON.stringify(fields))[0], row]);
  });
});
