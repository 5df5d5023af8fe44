import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '../../src/domain/errors.js';

describe('error codes', () => {
  it('when the README error table is read, then it lists exactly the codes in the code, with their statuses', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const listed = [...readme.matchAll(/^\| `([a-z_.]+)` \| (\d{3}) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    const expected = Object.entries(ERROR_CODES).map(([code, v]) => [code, v.status, v.doc]);
    expect(listed).toEqual(expected);
  });
});
