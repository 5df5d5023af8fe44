import { describe, expect, it } from '@jest/globals';
import { isoOf } from '../../src/http/scim/request-log.js';

describe('SCIM request log times', () => {
  it('when times are asked for in any order, across seconds, days and years, then each is written exactly as toISOString writes it', () => {
    const base = Date.parse('2026-12-31T23:59:59.998Z');
    const times = [base, base + 1, base + 2, base + 1, base - 1000, base + 3, 0, 999, 1000, -1, -1001, base + 86_400_000 * 366 + 7];
    for (const ms of times) expect(isoOf(ms)).toBe(new Date(ms).toISOString());
  });

  it('when a time lies past the year 9999, then it is still written as toISOString writes it (another form)', () => {
    const far = Date.parse('+010000-01-01T00:00:00.123Z');
    expect(isoOf(far)).toBe(new Date(far).toISOString());
    expect(isoOf(far + 1)).toBe(new Date(far + 1).toISOString());
    expect(isoOf(Date.parse('2026-01-01T00:00:00.000Z'))).toBe('2026-01-01T00:00:00.000Z');
  });
});
