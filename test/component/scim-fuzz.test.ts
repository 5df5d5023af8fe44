import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

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

/** One fuzzed request: what it sends and how to name it in a failure. */
interface FuzzCase {
  desc: string;
  send: (scim: ScimClient) => Promise<{ status: number; body: unknown }>;
}

/** Families the issue tracker found 500s in: each gets its own share of the cases. */
function hostile(r: () => number, userId: string, groupId: string): FuzzCase {
  const target = r() < 0.5 ? `/Users/${userId}` : `/Groups/${groupId}`;
  const pick = Math.floor(r() * 6);
  if (pick === 0) {
    const depth = 30 + Math.floor(r() * 8000);
    const nested = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const raw = r() < 0.5 ? `{"schemas":["${PATCH}"],"Operations":[{"op":"replace","value":${nested}}]}` : `{"schemas":["${USER}"],"userName":"deep@x.io","x":${nested}}`;
    const method = raw.includes(PATCH) ? 'PATCH' : r() < 0.5 ? 'PUT' : 'POST';
    const path = method === 'POST' ? '/Users' : target;
    return { desc: `${method} ${path} nested ${depth}`, send: (s) => s.call(method, path, raw) };
  }
  if (pick === 1) {
    const start = ['9223372036854775807', '1e20', '-9223372036854775808', '18446744073709551616', '1.5', '0x10', 'NaN', 'Infinity'][Math.floor(r() * 8)]!;
    const path = `${r() < 0.5 ? '/Users' : '/Groups'}?startIndex=${start}&count=${['10', '1e20', '-1', '9223372036854775807'][Math.floor(r() * 4)]}`;
    return { desc: `GET ${path}`, send: (s) => s.get(path) };
  }
  if (pick === 2) {
    const type = [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data'][Math.floor(r() * 5)];
    return { desc: `PATCH ${target} content-type ${type ?? 'none'}`, send: (s) => (type ? s.call('PATCH', target, 'op=replace&active=false', { 'content-type': type }) : s.call('PATCH', target)) };
  }
  if (pick === 3) {
    const b = r() < 0.5 ? { schemas: null } : { schemas: null, Operations: [value(r, 1)] };
    return { desc: `PATCH ${target} ${JSON.stringify(b)}`, send: (s) => s.patch(target, b) };
  }
  if (pick === 4) {
    const v = [null, 1, 'x', [], [null], true][Math.floor(r() * 6)];
    const b = { schemas: [PATCH], Operations: [{ op: r() < 0.5 ? 'replace' : 'Add', value: v }] };
    return { desc: `PATCH ${target} ${JSON.stringify(b)}`, send: (s) => s.patch(target, b) };
  }
  const b = { schemas: [r() < 0.5 ? USER : GROUP], userName: null, displayName: null, emails: null, members: null, name: null, active: null };
  return { desc: `PUT ${target} ${JSON.stringify(b)}`, send: (s) => s.put(target, b) };
}

function randomCase(r: () => number, userId: string, groupId: string): FuzzCase {
  const pick = Math.floor(r() * 9);
  if (pick === 0) {
    const filter = Array.from({ length: 1 + Math.floor(r() * 7) }, () => FILTER_TOKENS[Math.floor(r() * FILTER_TOKENS.length)]).join(' ');
    const path = `/Users?filter=${encodeURIComponent(filter)}&startIndex=${Math.floor(r() * 5) - 1}&count=${Math.floor(r() * 5) - 1}`;
    return { desc: `GET /Users?filter=${filter}`, send: (s) => s.get(path) };
  }
  if (pick === 1) {
    const filter = Array.from({ length: 1 + Math.floor(r() * 5) }, () => FILTER_TOKENS[Math.floor(r() * FILTER_TOKENS.length)]).join(' ');
    const path = `/Groups?filter=${encodeURIComponent(filter)}&attributes=${encodeURIComponent(String(ATOMS[Math.floor(r() * ATOMS.length)]))}`;
    return { desc: `GET /Groups?filter=${filter}`, send: (s) => s.get(path) };
  }
  if (pick === 2) {
    const b = body(r, 'user');
    return { desc: `POST /Users ${JSON.stringify(b)}`, send: (s) => s.post('/Users', b) };
  }
  if (pick === 3) {
    const b = body(r, 'user');
    return { desc: `PUT /Users ${JSON.stringify(b)}`, send: (s) => s.put(`/Users/${userId}`, b) };
  }
  if (pick === 4) {
    const b = body(r, 'patch');
    return { desc: `PATCH /Users ${JSON.stringify(b)}`, send: (s) => s.patch(`/Users/${userId}`, b) };
  }
  if (pick === 5) {
    const b = body(r, 'group');
    return { desc: `POST /Groups ${JSON.stringify(b)}`, send: (s) => s.post('/Groups', b) };
  }
  if (pick === 6) {
    const b = body(r, 'patch');
    return { desc: `PATCH /Groups ${JSON.stringify(b)}`, send: (s) => s.patch(`/Groups/${groupId}`, b) };
  }
  if (pick === 7) return hostile(r, userId, groupId);
  const raw = ['{', '[]', 'null', '"str"', '{"schemas":', '\u0000', '{"Operations":{}}'][Math.floor(r() * 7)]!;
  return { desc: `PATCH raw ${raw}`, send: (s) => s.call('PATCH', `/Users/${userId}`, raw) };
}

/** Requests per store; IDSYNC_FUZZ_REQUESTS overrides it for a longer local run. */
const REQUESTS = Number(process.env.IDSYNC_FUZZ_REQUESTS ?? 10_000);
/** In flight at once: the fuzzer doubles as a concurrency test of one user and one group. */
const PARALLEL = 8;

describe.each(STORES)('SCIM fuzz on %s: malformed bodies and filters never cause a 5xx', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    ({ scim } = await f.newOrg('Fuzz'));
    userId = (await scim.post('/Users', { schemas: [USER], userName: 'target@fuzz.example', emails: [{ value: 'target@fuzz.example', type: 'work' }] })).body.id as string;
    groupId = (await scim.post('/Groups', { schemas: [GROUP], displayName: 'Target', members: [{ value: userId }] })).body.id as string;
  }, 60_000);
  afterAll(async () => f.dispose());

  it(`when ${REQUESTS} seeded random requests hit every endpoint, then each answers below 500 with a SCIM error body when it fails`, async () => {
    const r = rng(20261122);
    const cases = Array.from({ length: REQUESTS }, () => randomCase(r, userId, groupId));
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++]!;
        const res = await c.send(scim);
        const ok = res.status < 500 && (res.status < 400 || (res.body as { schemas?: string[] })?.schemas?.[0] === 'urn:ietf:params:scim:api:messages:2.0:Error');
        if (!ok) failures.push(`${res.status} ${c.desc.slice(0, 300)} -> ${JSON.stringify(res.body).slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
    expect(failures).toEqual([]);
    // The target survived whatever the fuzzer managed to do and still reads back.
    expect([200, 404]).toContain((await scim.get(`/Users/${userId}`)).status);
  }, 600_000);
});
