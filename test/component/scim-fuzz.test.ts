import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUP, PATCH, scimFixture, USER, type ScimClient } from '../support/scim.js';

/** A small deterministic PRNG (mulberry32) so a failure replays with the same seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ATOMS: unknown[] = [null, true, false, 0, -1, 1e308, '', 'True', 'False', 'x'.repeat(300), '"', '\\', '[', ']', '(', 'eq', '💥', [], {}, [null], [{}], { value: null }, { op: 'add' }];
const KEYS = ['schemas', 'userName', 'active', 'emails', 'name', 'members', 'displayName', 'Operations', 'op', 'path', 'value', 'externalId', 'id', 'meta', 'groups', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', 'name.givenName', '__proto__', 'constructor'];
const FILTER_TOKENS = ['userName', 'emails[type eq "work"].value', 'emails', '[', ']', '(', ')', 'eq', 'ne', 'co', 'sw', 'pr', 'gt', 'and', 'or', 'not', '"a"', '"', 'true', 'null', '12', 'meta.lastModified', 'x.y.z', 'urn:a:b', '.', ' '];

function value(r: () => number, depth: number): unknown {
  const n = r();
  if (depth > 2 || n < 0.45) return ATOMS[Math.floor(r() * ATOMS.length)];
  if (n < 0.7) return Array.from({ length: Math.floor(r() * 3) }, () => value(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i >= 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, depth + 1);
  return o;
}

function body(r: () => number, kind: 'user' | 'group' | 'patch'): unknown {
  const base: Record<string, unknown> =
    kind === 'user' ? { schemas: [USER], userName: `fuzz${Math.floor(r() * 1e6)}@x.io` } : kind === 'group' ? { schemas: [GROUP], displayName: `g${Math.floor(r() * 1e6)}` } : { schemas: [PATCH], Operations: [value(r, 1)] };
  for (let i = Math.floor(r() * 3); i >= 0; i--) base[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, 1);
  return r() < 0.1 ? value(r, 0) : base;
}

describe('SCIM fuzz: malformed bodies and filters never cause a 5xx', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    f = await scimFixture('sqlite', { IDSYNC_SCIM_RATE_LIMIT: '0' });
    ({ scim } = await f.newOrg('Fuzz'));
    userId = (await scim.post('/Users', { schemas: [USER], userName: 'target@fuzz.example', emails: [{ value: 'target@fuzz.example', type: 'work' }] })).body.id as string;
    groupId = (await scim.post('/Groups', { schemas: [GROUP], displayName: 'Target', members: [{ value: userId }] })).body.id as string;
  });
  afterAll(async () => f.dispose());

  it('when 600 random requests hit every endpoint, then each answers below 500 with a SCIM error body when it fails', async () => {
    const r = rng(20261122);
    const failures: string[] = [];
    for (let i = 0; i < 600; i++) {
      const pick = Math.floor(r() * 8);
      let res;
      let desc: string;
      if (pick === 0) {
        const filter = Array.from({ length: 1 + Math.floor(r() * 7) }, () => FILTER_TOKENS[Math.floor(r() * FILTER_TOKENS.length)]).join(' ');
        desc = `GET /Users?filter=${filter}`;
        res = await scim.get(`/Users?filter=${encodeURIComponent(filter)}&startIndex=${Math.floor(r() * 5) - 1}&count=${Math.floor(r() * 5) - 1}`);
      } else if (pick === 1) {
        const filter = Array.from({ length: 1 + Math.floor(r() * 5) }, () => FILTER_TOKENS[Math.floor(r() * FILTER_TOKENS.length)]).join(' ');
        desc = `GET /Groups?filter=${filter}`;
        res = await scim.get(`/Groups?filter=${encodeURIComponent(filter)}&attributes=${encodeURIComponent(String(ATOMS[Math.floor(r() * ATOMS.length)]))}`);
      } else if (pick === 2) {
        const b = body(r, 'user');
        desc = `POST /Users ${JSON.stringify(b)}`;
        res = await scim.post('/Users', b);
      } else if (pick === 3) {
        const b = body(r, 'user');
        desc = `PUT /Users ${JSON.stringify(b)}`;
        res = await scim.put(`/Users/${userId}`, b);
      } else if (pick === 4) {
        const b = body(r, 'patch');
        desc = `PATCH /Users ${JSON.stringify(b)}`;
        res = await scim.patch(`/Users/${userId}`, b);
      } else if (pick === 5) {
        const b = body(r, 'group');
        desc = `POST /Groups ${JSON.stringify(b)}`;
        res = await scim.post('/Groups', b);
      } else if (pick === 6) {
        const b = body(r, 'patch');
        desc = `PATCH /Groups ${JSON.stringify(b)}`;
        res = await scim.patch(`/Groups/${groupId}`, b);
      } else {
        const raw = ['{', '[]', 'null', '"str"', '{"schemas":', '\u0000', '{"Operations":{}}'][Math.floor(r() * 7)]!;
        desc = `PATCH raw ${raw}`;
        res = await scim.call('PATCH', `/Users/${userId}`, raw);
      }
      const ok = res.status < 500 && (res.status < 400 || (res.body as { schemas?: string[] })?.schemas?.[0] === 'urn:ietf:params:scim:api:messages:2.0:Error');
      if (!ok) failures.push(`${res.status} ${desc} -> ${JSON.stringify(res.body)}`);
    }
    expect(failures).toEqual([]);
    // The target survived whatever the fuzzer managed to do and still reads back.
    expect([200, 404]).toContain((await scim.get(`/Users/${userId}`)).status);
  }, 120_000);
});
