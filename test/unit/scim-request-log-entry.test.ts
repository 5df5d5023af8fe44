import { describe, expect, it } from '@jest/globals';
import type { Request, Response } from 'express';
import { answeredRequest, entryOfRequest, LoggedRequest } from '../../src/http/scim/request-log.js';

const scim = { orgId: 'o1', tokenId: 'tok-1', actor: { kind: 'scim', label: 'Okta provisioning' }, writer: 'scim' };

/** A request as express hands it to the finish listener, and its response: only what the log reads. */
function answered(url: string, opts: { method?: string; status?: number; ua?: string; location?: string; body?: unknown; authenticated?: boolean } = {}) {
  const req = { method: opts.method ?? 'GET', headers: opts.ua === undefined ? {} : { 'user-agent': opts.ua }, body: opts.body } as unknown as Request;
  const res = {
    statusCode: opts.status ?? 200,
    locals: opts.authenticated === false ? {} : { scim },
    getHeader: (name: string) => (name === 'location' ? opts.location : undefined),
  } as unknown as Response;
  return answeredRequest(new LoggedRequest(Date.parse('2026-12-06T10:00:00.250Z'), 100, url), req, res);
}

describe('SCIM request log entries from answered requests', () => {
  it('when a lookup is answered, then its entry has the time it arrived, the path, status, latency, IdP, User-Agent, credential and resource type', () => {
    const r = answered('/Users?filter=userName%20eq%20%22a%22', { ua: 'Okta SCIM Client 1.0.0' })!;
    r.endedMs = 101.234;
    expect(entryOfRequest(r)).toEqual({
      orgId: 'o1',
      at: '2026-12-06T10:00:00.250Z',
      method: 'GET',
      path: '/Users?filter=userName%20eq%20%22a%22',
      status: 200,
      latencyMs: 1.23,
      idp: 'okta',
      userAgent: 'Okta SCIM Client 1.0.0',
      credential: { id: 'tok-1', label: 'Okta provisioning' },
      resource: { type: 'Users' },
    });
  });

  it('when a request failed authentication, then it belongs to no org and is not kept', () => {
    expect(answered('/Users', { status: 401, authenticated: false })).toBeUndefined();
  });

  it('when a User-Agent is longer than the bound, then only the bound is kept, and the IdP is still read from all of it', () => {
    const ua = `${'x'.repeat(300)} Microsoft.Identity.Provisioning.Scim/1.0`;
    const r = answered('/Users', { ua })!;
    expect(r.userAgent).toHaveLength(256);
    const e = entryOfRequest(r);
    expect(e.idp).toBe('entra');
    expect(e.userAgent).toBe(ua.slice(0, 256));
  });

  it('when paths name a resource, a search, an encoded id, a create or a Bulk, then the resource is read as before', () => {
    const resource = (url: string, opts: Parameters<typeof answered>[1] = {}) => entryOfRequest(answered(url, opts)!).resource;
    expect(resource('/Users/abc%20d?attributes=userName')).toEqual({ type: 'Users', id: 'abc d' });
    expect(resource('/Users/%E0%A4%A')).toEqual({ type: 'Users', id: '%E0%A4%A' });
    expect(resource('/Users/.search', { method: 'POST', body: {} })).toEqual({ type: 'Users' });
    expect(resource('/Groups', { method: 'POST', status: 201, location: 'https://h/scim/v2/Groups/g-1', body: { displayName: 'Eng' } })).toEqual({ type: 'Groups', id: 'g-1' });
    expect(resource('/Bulk', { method: 'POST', body: { Operations: [] } })).toEqual({ type: 'Bulk' });
    expect(resource('/Users/')).toEqual({ type: 'Users' });
    expect(resource('/ServiceProviderConfig')).toEqual({ type: 'ServiceProviderConfig' });
    expect(resource('/')).toBeUndefined();
    expect(resource('?x=1')).toBeUndefined();
  });

  it('when a write carries a password, then its body is kept redacted, and a GET keeps none', () => {
    const write = entryOfRequest(answered('/Users', { method: 'POST', status: 201, body: { userName: 'a', password: 'p' }, location: '/scim/v2/Users/u1' })!);
    expect(write.requestBody).toBe('{"userName":"a"}');
    expect(write.resource).toEqual({ type: 'Users', id: 'u1' });
    expect(entryOfRequest(answered('/Users/u1', { body: { password: 'p' } })!).requestBody).toBeUndefined();
  });
});
