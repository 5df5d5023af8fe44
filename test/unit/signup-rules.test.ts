import { describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { continueTarget, continueUrlProblem, emailDomain, normalizeDomain, txtProves, verificationRecordName } from '../../src/domain/signup.js';
import { tempDir } from '../support/harness.js';

function problems(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig({ env, cwd: tempDir() });
    return '';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('sign-up and domain capture rules', () => {
  it('when a TXT answer is checked, then only a record that is exactly the proof counts, its character strings joined', () => {
    expect(verificationRecordName('acme.example')).toBe('_idsync.acme.example');
    expect(txtProves([['idsync-verification=abc']], 'abc')).toBe(true);
    expect(txtProves([['v=spf1 -all'], ['idsync-verification=', 'abc']], 'abc')).toBe(true);
    expect(txtProves([['idsync-verification=abcd']], 'abc')).toBe(false);
    expect(txtProves([['xidsync-verification=abc']], 'abc')).toBe(false);
    expect(txtProves([], 'abc')).toBe(false);
  });

  it('when domains are normalised, then case and a trailing dot go and non-domains are refused', () => {
    expect(normalizeDomain(' Acme.Example. ')).toBe('acme.example');
    expect(normalizeDomain('localhost')).toBeUndefined();
    expect(normalizeDomain('a b.example')).toBeUndefined();
    expect(emailDomain('Ada@Sub.Acme.Example')).toBe('sub.acme.example');
  });

  it('when a continue URL is checked, then https passes, http only on loopback, and credentials or fragments are refused', () => {
    expect(continueUrlProblem('https://app.example/welcome?x=1')).toBeUndefined();
    expect(continueUrlProblem('http://localhost:3000/in')).toBeUndefined();
    expect(continueUrlProblem('http://127.0.0.1:3000/in')).toBeUndefined();
    expect(continueUrlProblem('http://app.example/in')).toMatch(/https/);
    expect(continueUrlProblem('https://u:p@app.example/')).toMatch(/credentials/);
    expect(continueUrlProblem('https://app.example/#x')).toMatch(/fragment/);
    expect(continueUrlProblem('/relative')).toMatch(/absolute/);
    expect(continueUrlProblem('javascript:alert(1)')).toBeDefined();
    expect(continueTarget('https://app.example/w?from=idsync&orgId=spoofed', 'o1', 'm1')).toBe('https://app.example/w?from=idsync&orgId=o1&memberId=m1');
  });

  it('when the sign-up keys are misconfigured, then start fails naming each key', () => {
    const msg = problems({ IDSYNC_SIGNUP_MODE: 'closed', IDSYNC_JOIN_CONTINUE_URL: 'http://app.example/', IDSYNC_DOMAINS_DNS_SERVERS: 'dns.example' });
    expect(msg).toContain('signup.mode (IDSYNC_SIGNUP_MODE)');
    expect(msg).toContain('join.continueUrl (IDSYNC_JOIN_CONTINUE_URL)');
    expect(msg).toContain('domains.dnsServers (IDSYNC_DOMAINS_DNS_SERVERS)');
    const ok = loadConfig({ env: { IDSYNC_SIGNUP_MODE: 'invite-only', IDSYNC_JOIN_CONTINUE_URL: 'https://app.example/in', IDSYNC_DOMAINS_DNS_SERVERS: '127.0.0.1:5353, 9.9.9.9' }, cwd: tempDir() });
    expect(ok.signup.mode).toBe('invite-only');
    expect(ok.join.continueUrl).toBe('https://app.example/in');
    expect(ok.domains.dnsServers).toEqual(['127.0.0.1:5353', '9.9.9.9']);
    expect(loadConfig({ env: {}, cwd: tempDir() }).signup.mode).toBe('off');
  });
});
