import { describe, expect, it } from '@jest/globals';
import { blockedLiteralReason, checkDestination, isBlockedAddress, type LookupAll } from '../../src/services/webhooks/destination.js';

const BLOCKED: [string, string][] = [
  ['0.0.0.0/8', '0.0.0.0'],
  ['0.0.0.0/8', '0.255.255.255'],
  ['10/8', '10.1.2.3'],
  ['100.64/10', '100.64.0.1'],
  ['100.64/10', '100.127.255.254'],
  ['127/8', '127.0.0.1'],
  ['127/8', '127.255.0.9'],
  ['169.254/16 (cloud metadata)', '169.254.169.254'],
  ['172.16/12', '172.16.0.1'],
  ['172.16/12', '172.31.255.255'],
  ['192.168/16', '192.168.1.1'],
  ['198.18/15', '198.18.0.1'],
  ['198.18/15', '198.19.255.255'],
  ['224/4 multicast', '224.0.0.1'],
  ['240/4 reserved', '240.0.0.1'],
  ['broadcast', '255.255.255.255'],
  ['::', '::'],
  ['::1', '::1'],
  ['::1 bracketed', '[::1]'],
  ['fc00::/7', 'fc00::1'],
  ['fc00::/7', 'fd12:3456::1'],
  ['fe80::/10', 'fe80::1'],
  ['fe80::/10', 'febf::1'],
  ['ff00::/8', 'ff02::1'],
  ['IPv4-mapped loopback', '::ffff:127.0.0.1'],
  ['IPv4-mapped loopback, hex', '::ffff:7f00:1'],
  ['IPv4-mapped private', '::ffff:10.0.0.1'],
  ['upper-case IPv6', 'FE80::1'],
  ['192.0.0/24 (IETF protocol assignments)', '192.0.0.8'],
  ['TEST-NET-1', '192.0.2.1'],
  ['TEST-NET-2', '198.51.100.7'],
  ['TEST-NET-3', '203.0.113.9'],
  ['NAT64 of a private address', '64:ff9b::a00:1'],
  ['local-use NAT64', '64:ff9b:1::1'],
  ['6to4 of loopback', '2002:7f00:1::1'],
];

const ALLOWED: [string, string][] = [
  ['public IPv4', '8.8.8.8'],
  ['just below 10/8', '9.255.255.255'],
  ['just above 10/8', '11.0.0.0'],
  ['just below 100.64/10', '100.63.255.255'],
  ['just above 100.64/10', '100.128.0.0'],
  ['just below 172.16/12', '172.15.255.255'],
  ['just above 172.16/12', '172.32.0.0'],
  ['just above 169.254/16', '169.255.0.1'],
  ['just above 198.18/15', '198.20.0.1'],
  ['just below 224/4', '223.255.255.255'],
  ['public IPv6', '2606:4700:4700::1111'],
  ['just below fc00::/7', 'fbff::1'],
  ['just above fe80::/10', 'fec0::1'],
  ['IPv4-mapped public', '::ffff:8.8.8.8'],
  ['a hostname (resolved later)', 'localhost'],
];

const fixed =
  (...addresses: string[]): LookupAll =>
  async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('webhook destination ranges', () => {
  it.each(BLOCKED)('when the address is in %s (%s), then it is blocked', (_range, address) => {
    expect(isBlockedAddress(address)).toBe(true);
  });

  it.each(ALLOWED)('when the address is %s (%s), then it is not blocked', (_what, address) => {
    expect(isBlockedAddress(address)).toBe(false);
  });

  it('when a URL host is an IP literal in a blocked range, then the reason names it and the key to change', () => {
    expect(blockedLiteralReason('https://10.1.2.3/hook')).toMatch(/^10\.1\.2\.3 is a private, loopback or reserved address;.*webhooks\.allowPrivateNetworks \(IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS\)/);
    expect(blockedLiteralReason('https://[::ffff:169.254.169.254]/')).toMatch(/^::ffff:a9fe:a9fe is a private/);
    expect(blockedLiteralReason('https://0x7f.1/')).toMatch(/^127\.0\.0\.1 is a private/);
    expect(blockedLiteralReason('https://hooks.example.com/')).toBeUndefined();
    expect(blockedLiteralReason('https://8.8.8.8/')).toBeUndefined();
  });

  it('when any resolved address is internal, then the delivery is refused naming the host and those addresses', async () => {
    await expect(checkDestination('https://hooks.example.com/x', fixed('93.184.216.34', '10.0.0.7'))).resolves.toBe(
      'destination refused: hooks.example.com resolves to 10.0.0.7, a private, loopback or reserved address; set webhooks.allowPrivateNetworks (IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS) to true to allow internal destinations',
    );
    await expect(checkDestination('https://hooks.example.com/x', fixed('93.184.216.34', '2606:4700::1'))).resolves.toBeUndefined();
  });

  it('when the host is an IP literal, then it is judged without resolving', async () => {
    const never: LookupAll = async () => {
      throw new Error('must not resolve');
    };
    await expect(checkDestination('http://127.0.0.1:8080/', never)).resolves.toMatch(/^destination refused: 127\.0\.0\.1 is a private/);
    await expect(checkDestination('https://[2606:4700::1]/', never)).resolves.toBeUndefined();
  });

  it('when the host does not resolve, then nothing is sent and the reason says so', async () => {
    const failing: LookupAll = async () => {
      throw new Error('getaddrinfo ENOTFOUND nowhere.invalid');
    };
    await expect(checkDestination('https://nowhere.invalid/', failing)).resolves.toBe('cannot resolve nowhere.invalid: getaddrinfo ENOTFOUND nowhere.invalid');
  });
});
