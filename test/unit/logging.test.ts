import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/logging/winston-logger.js';

/** pino's sink(): collect lines and parse them back into objects. */
function sink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logging', () => {
  it('when fields and messages carry secrets, then no line contains them', () => {
    const s = sink();
    const log = createLogger({ level: 'debug', format: 'json', stream: s.stream });
    const scim = 'idsync_scim_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefg';
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig';
    const clientSecret = 'idsync_scs_ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210zyxwvut';
    log.info(`auth header was Bearer ${jwt}`, {
      headers: { authorization: `Bearer ${jwt}`, 'x-request-id': 'r1' },
      token: scim,
      nested: { clientSecret: 'shh-client-secret', privateKey: '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----' },
      note: `user pasted ${scim} into a field`,
      form: `grant_type=client_credentials&client_id=idsc_x&client_secret=${clientSecret}`,
      redis: 'redis://default:hunter2@redis:6379/0',
      password: 'p@ss',
    });
    log.child({ requestId: 'abc' }).warn('child', { apiKey: 'k-123', err: new Error(`failed with ${scim}`) });
    const text = s.lines.join('\n');
    for (const secret of [scim, clientSecret, jwt, 'shh-client-secret', 'MIIE', 'hunter2', 'p@ss', 'k-123']) expect(text).not.toContain(secret);
    const [first, second] = s.records();
    expect(first).toMatchObject({ level: 'info', headers: { authorization: '[REDACTED]', 'x-request-id': 'r1' }, token: '[REDACTED]', redis: 'redis://default:[REDACTED]@redis:6379/0' });
    expect(first?.message).toBe('auth header was Bearer [REDACTED]');
    expect(second).toMatchObject({ level: 'warn', requestId: 'abc', apiKey: '[REDACTED]' });
    expect(JSON.stringify(second?.err)).toContain('failed with [REDACTED]');
  });

  it('when the level is warn, then info lines are dropped; pretty format is readable text', () => {
    const s = sink();
    const log = createLogger({ level: 'warn', format: 'pretty', stream: s.stream });
    log.info('hidden');
    log.error('shown', { orgId: 'o1' });
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0]).toMatch(/error.*shown.*"orgId":"o1"/);
  });
});
