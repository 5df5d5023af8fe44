import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { safeNext, SignInStateCookie } from '../../src/http/console/sign-in-state.js';

describe('console sign-in: the next path and the state cookie', () => {
  it('when next is a console path, then it is kept (path and query, normalised); anything that could leave the console is dropped', () => {
    expect(safeNext('/console/orgs/o1/members?q=ada&status=active')).toBe('/console/orgs/o1/members?q=ada&status=active');
    expect(safeNext('/console/orgs/o1/./members')).toBe('/console/orgs/o1/members');
    for (const bad of [
      'https://evil.example/console/',
      '//evil.example/console/',
      '/\\evil.example',
      '/console\\..\\..\\evil',
      '/console/../admin',
      '/console/%2e%2e/api/v1',
      '/console/sign-in?next=/console/orgs',
      '/console/start?token=x',
      '/console/orgs\n/evil',
      'javascript:alert(1)',
      '/consolex',
      '',
      `/console/${'a'.repeat(1000)}`,
      undefined,
      ['/console/orgs'],
    ]) {
      expect([bad, safeNext(bad)]).toEqual([bad, undefined]);
    }
  });

  it('when the state cookie is sealed, then it opens under the same key before it expires, and not when altered, foreign or late', () => {
    const key = randomBytes(32);
    const c = new SignInStateCookie(key);
    const sealed = c.seal({ provider: 'google', state: 's', nonce: 'n', codeVerifier: 'v', next: '/console/orgs' }, 1000);
    expect(c.open(sealed, 2000)).toMatchObject({ provider: 'google', state: 's', nonce: 'n', codeVerifier: 'v', next: '/console/orgs' });
    expect(c.open(sealed, 1000 + 10 * 60_000)).toBeUndefined();
    expect(new SignInStateCookie(randomBytes(32)).open(sealed, 2000)).toBeUndefined();
    const raw = Buffer.from(sealed, 'base64url');
    raw[20] = raw[20]! ^ 1;
    expect(c.open(raw.toString('base64url'), 2000)).toBeUndefined();
    expect(c.open(undefined, 2000)).toBeUndefined();
  });
});
