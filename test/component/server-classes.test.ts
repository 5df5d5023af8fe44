import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import express from 'express';
import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serverClasses } from '../../src/http/server-classes.js';
import { listen, type RunningServer } from '../../src/runtime/http-server.js';
import { scimFixture } from '../support/scim.js';

/**
 * Express changes the prototype of every request and response it handles; a server built with
 * serverClasses(app) constructs them with the app's prototypes already, so that change finds nothing
 * to do (src/http/server-classes.ts). Every prototype express sets on a request or response is recorded.
 */
function recordPrototypeChanges() {
  const seen: { changed: boolean }[] = [];
  const real = Object.setPrototypeOf;
  const spy = jest.spyOn(Object, 'setPrototypeOf').mockImplementation((o: unknown, proto: object | null) => {
    if (o instanceof IncomingMessage || o instanceof ServerResponse) seen.push({ changed: Object.getPrototypeOf(o) !== proto });
    return real(o, proto);
  });
  return { seen, restore: () => spy.mockRestore() };
}

type Answer = { status: number; type: string | null; body: string };

async function ask(base: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${base}${path}`, init);
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
}

describe('requests and responses built by the classes of serverClasses(app)', () => {
  const app = express();
  app.use(express.json());
  app.get('/echo', (req, res) => {
    res.locals.seen = req.get('x-probe');
    res.json({ query: req.query, probe: res.locals.seen, path: req.path, app: req.app === app, secure: req.secure });
  });
  app.post('/echo', (req, res) => res.status(201).type('text/plain').send(`got ${JSON.stringify(req.body)}`));
  app.use((_req, res) => res.status(404).json({ error: 'none here' }));
  let classic: Server;
  let built: RunningServer;
  let classicUrl: string;
  let builtUrl: string;
  let changes: ReturnType<typeof recordPrototypeChanges> | undefined;

  beforeAll(async () => {
    built = await listen(app, '127.0.0.1', 0, serverClasses(app));
    builtUrl = `http://127.0.0.1:${built.port}`;
    classic = createServer(app);
    await new Promise<void>((resolve) => classic.listen(0, '127.0.0.1', resolve));
    classicUrl = `http://127.0.0.1:${(classic.address() as AddressInfo).port}`;
  });
  afterEach(() => changes?.restore());
  afterAll(async () => {
    await built.close(1000);
    await new Promise((resolve) => classic.close(resolve));
  });

  const cases: Array<[string, string, RequestInit]> = [
    ['a GET with a query and a header', '/echo?a=1&b=two', { headers: { 'x-probe': 'here' } }],
    ['a POST with a JSON body', '/echo', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"k":[1,2]}' }],
    ['a path no route serves', '/nowhere', {}],
  ];

  it.each(cases)('when sent %s, then the answer is the one a plain node server of the same app gives', async (_what, path, init) => {
    // Act
    const viaClasses = await ask(builtUrl, path, init);
    const viaPlain = await ask(classicUrl, path, init);

    // Assert
    expect(viaClasses).toEqual(viaPlain);
    expect(viaClasses.status).not.toBe(500);
  });

  it("when express handles a request of the server's classes, then it changes no prototype; on a plain server it changes both", async () => {
    // Arrange
    changes = recordPrototypeChanges();

    // Act
    await ask(builtUrl, '/echo?x=1');
    const afterBuilt = changes.seen.splice(0);
    await ask(classicUrl, '/echo?x=1');

    // Assert: express set the request's and the response's prototype each time, to what they already were here.
    expect(afterBuilt).toEqual([{ changed: false }, { changed: false }]);
    expect(changes.seen).toEqual([{ changed: true }, { changed: true }]);
  });

  it('when asked twice for the same app, then it gives the same classes and leaves the app as the first call made it', () => {
    const request = app.request;
    expect(serverClasses(app)).toBe(serverClasses(app));
    expect(app.request).toBe(request);
    expect(Object.getPrototypeOf(serverClasses(app).IncomingMessage.prototype)).not.toBe(request);
    expect(serverClasses(app).IncomingMessage.prototype).toBe(request);
  });
});

describe('the daemon serves with its app classes', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let token: string;
  let changes: ReturnType<typeof recordPrototypeChanges> | undefined;

  beforeAll(async () => {
    f = await scimFixture('sqlite');
    token = (await f.newOrg('Classes')).token;
  });
  afterEach(() => changes?.restore());
  afterAll(async () => f.dispose());

  it('when it answers a SCIM lookup, a SCIM create, a health check and an unknown path, then no request or response had its prototype changed', async () => {
    // Arrange
    changes = recordPrototypeChanges();
    const scim = { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' };

    // Act
    const lookup = await ask(f.daemon.url, `/scim/v2/Users?filter=${encodeURIComponent('userName eq "nobody@classes.example"')}`, { headers: scim });
    const create = await ask(f.daemon.url, '/scim/v2/Users', { method: 'POST', headers: scim, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ann@classes.example' }) });
    const health = await ask(f.daemon.url, '/healthz');
    const unknown = await ask(f.daemon.url, '/no/such/page');

    // Assert
    expect([lookup.status, create.status, health.status, unknown.status]).toEqual([200, 201, 200, 404]);
    expect(JSON.parse(lookup.body)).toMatchObject({ totalResults: 0, Resources: [] });
    expect(JSON.parse(create.body)).toMatchObject({ userName: 'ann@classes.example' });
    expect(changes.seen.length).toBeGreaterThanOrEqual(8);
    expect(changes.seen.filter((s) => s.changed)).toEqual([]);
  });
});
