import { describe, expect, it } from '@jest/globals';
import { parseStatusFilter } from '../../src/domain/scim-log.js';

describe('the SCIM log status filter', () => {
  it('when given a code, a class or "errors", then it reads as the inclusive range; anything else is refused', () => {
    expect(parseStatusFilter('409')).toEqual({ from: 409, to: 409 });
    expect(parseStatusFilter('4xx')).toEqual({ from: 400, to: 499 });
    expect(parseStatusFilter('errors')).toEqual({ from: 400, to: 599 });
    expect(parseStatusFilter('Errors ')).toEqual({ from: 400, to: 599 });
    expect(parseStatusFilter('error')).toBeUndefined();
    expect(parseStatusFilter('6xx')).toBeUndefined();
  });
});
