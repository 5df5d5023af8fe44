import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { backoffDelayMs, eventMatches, signatureHeader, signWebhook, verifyWebhookSignature } from '../../src/services/webhooks/signing.js';

describe('webhook signing', () => {
  const secret = 's3cr3t-s3cr3t-s3cr3t';
  const body = '{"id":"e1","type":"member.created"}';

  it('when a body is signed, then the signature is the hex HMAC-SHA256 of "<ts>.<body>" and the header carries t and v1', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex');
    expect(signWebhook(secret, 1700000000, body)).toBe(expected);
    expect(signatureHeader(secret, 1700000000, body)).toBe(`t=1700000000,v1=${expected}`);
  });

  it('when a signature is verified, then a tampered body, a wrong secret or a stale timestamp is refused', () => {
    const header = signatureHeader(secret, 1700000000, body);
    expect(verifyWebhookSignature(secret, header, body, 1700000010)).toBe(true);
    expect(verifyWebhookSignature(secret, header, `${body} `, 1700000010)).toBe(false);
    expect(verifyWebhookSignature('another-secret-value', header, body, 1700000010)).toBe(false);
    expect(verifyWebhookSignature(secret, header, body, 1700000000 + 301)).toBe(false);
    expect(verifyWebhookSignature(secret, 't=abc,v1=00', body, 1700000000)).toBe(false);
  });

  it('when retries back off, then the delay doubles from the base up to the cap, jittered within its upper half', () => {
    const policy = { baseMs: 10_000, maxMs: 3_600_000 };
    expect([1, 2, 3, 4].map((a) => backoffDelayMs(a, policy, () => 1))).toEqual([10_000, 20_000, 40_000, 80_000]);
    expect([1, 2, 3].map((a) => backoffDelayMs(a, policy, () => 0))).toEqual([5_000, 10_000, 20_000]);
    expect(backoffDelayMs(20, policy, () => 1)).toBe(3_600_000);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelayMs(3, policy);
      expect(d).toBeGreaterThanOrEqual(20_000);
      expect(d).toBeLessThanOrEqual(40_000);
    }
  });

  it('when an event is filtered, then an empty filter takes all, and exact types and prefixes match', () => {
    expect(eventMatches([], 'member.created')).toBe(true);
    expect(eventMatches(['member.created'], 'member.created')).toBe(true);
    expect(eventMatches(['member.created'], 'member.deactivated')).toBe(false);
    expect(eventMatches(['member.*'], 'member.deactivated')).toBe(true);
    expect(eventMatches(['member.*'], 'team.created')).toBe(false);
  });
});
