import { describe, expect, it } from '@jest/globals';
import { timeLeft } from '../../src/http/console/support-page.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const after = (ms: number) => new Date(NOW.getTime() + ms).toISOString();

describe('the support page time left', () => {
  it.each([
    [3 * 3_600_000 - 5, '3 h 0 min left'],
    [3 * 3_600_000 + 61_000, '3 h 2 min left'],
    [59 * 60_000 + 1, '1 h 0 min left'],
    [12 * 60_000, '12 min left'],
    [59_999, 'less than a minute left'],
    [-1_000, 'less than a minute left'],
    [720 * 3_600_000, '30 days 0 h left'],
    [50 * 3_600_000 + 1, '2 days 2 h left'],
  ])('when a grant ends %i ms from now, then the page says "%s"', (ms, text) => {
    expect(timeLeft(after(ms), NOW)).toBe(text);
  });
});
