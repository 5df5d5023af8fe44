import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where webhook deliveries may go when `webhooks.allowPrivateNetworks` is false: never to a
 * loopback, private, link-local, shared (CGNAT), benchmarking, documentation, multicast, reserved or
 * IPv4-embedding (NAT64, 6to4) address, so a tenant cannot make idsync call services inside the
 * operator's network. Pure: resolving a hostname is the caller's.
 */
export const ALLOW_PRIVATE_KEY = 'webhooks.allowPrivateNetworks';
export const ALLOW_PRIVATE_ENV = 'IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  // Multicast (224/4) and everything above it: reserved 240/4 and broadcast.
  ['224.0.0.0', 3],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
blocked.addAddress('::', 'ipv6');
blocked.addAddress('::1', 'ipv6');
blocked.addSubnet('fc00::', 7, 'ipv6');
blocked.addSubnet('fe80::', 10, 'ipv6');
blocked.addSubnet('ff00::', 8, 'ipv6');
// IPv6 forms that carry an IPv4 address a gateway would reach: NAT64 (64:ff9b::/96, and the local-use
// 64:ff9b:1::/48) and 6to4 (2002::/16); blocked whole, as their embedded address may be internal.
blocked.addSubnet('64:ff9b::', 96, 'ipv6');
blocked.addSubnet('64:ff9b:1::', 48, 'ipv6');
blocked.addSubnet('2002::', 16, 'ipv6');

/** A URL host without the brackets of an IPv6 literal. */
export function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '');
}

/**
 * True when the address is in a blocked range. IPv4-mapped IPv6 (::ffff:a.b.c.d, in either
 * notation) is judged by the IPv4 rules (BlockList does so). Not an IP address: false.
 */
export function isBlockedAddress(address: string): boolean {
  const host = bareHost(address);
  const family = isIP(host);
  if (family === 0) return false;
  return blocked.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

/** The refusal of a URL whose host is a blocked IP literal, or undefined. */
export function blockedLiteralReason(url: string): string | undefined {
  const host = bareHost(new URL(url).hostname);
  if (!isBlockedAddress(host)) return undefined;
  return `${host} is a private, loopback or reserved address; webhooks may not target internal networks unless ${ALLOW_PRIVATE_KEY} (${ALLOW_PRIVATE_ENV}) is true`;
}

export type LookupAll = (hostname: string) => Promise<{ address: string; family: number }[]>;

/** node:dns/promises lookup of every address (what the system resolver would give fetch). */
export const systemLookup: LookupAll = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** The destination check's answer: why it is refused, or the address to connect to (absent for an IP literal). */
export type Vetted = { refused: string } | { refused?: undefined; pinned?: { address: string; family: 4 | 6 } };

/**
 * Resolves the URL's host: refused when any address is in a blocked range (or the name does not
 * resolve: nothing is sent), otherwise the first address, for the request to connect to exactly
 * that one (pinnedFetch), so a DNS answer that changes in between cannot redirect it inward.
 */
export async function vetDestination(url: string, lookup: LookupAll): Promise<Vetted> {
  const host = bareHost(new URL(url).hostname);
  if (isIP(host) !== 0) {
    const reason = blockedLiteralReason(url);
    return reason === undefined ? {} : { refused: `destination refused: ${reason}` };
  }
  let addresses: { address: string; family: number }[];
  try {
    addresses = await lookup(host);
  } catch (err) {
    return { refused: `cannot resolve ${host}: ${err instanceof Error ? err.message : String(err)}`.slice(0, 500) };
  }
  const bad = addresses.map((a) => a.address).filter(isBlockedAddress);
  if (bad.length > 0) {
    return { refused: `destination refused: ${host} resolves to ${bad.join(', ')}, a private, loopback or reserved address; set ${ALLOW_PRIVATE_KEY} (${ALLOW_PRIVATE_ENV}) to true to allow internal destinations` };
  }
  const first = addresses[0];
  if (!first) return { refused: `cannot resolve ${host}: no address` };
  return { pinned: { address: first.address, family: first.family === 6 ? 6 : 4 } };
}

/** Why delivering to the URL is refused, or undefined (see vetDestination). */
export async function checkDestination(url: string, lookup: LookupAll): Promise<string | undefined> {
  return (await vetDestination(url, lookup)).refused;
}
