import { Resolver } from 'node:dns/promises';
import { IdsyncError } from '../../domain/errors.js';

/** The one DNS question domain verification asks; injectable so tests answer from a local DNS server. */
export interface TxtResolver {
  resolveTxt(name: string): Promise<string[][]>;
}

/** node:dns with the configured servers (config domains.dnsServers; empty: the system's). */
export function dnsTxtResolver(servers: readonly string[] = [], timeoutMs = 4000): TxtResolver {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  if (servers.length > 0) r.setServers([...servers]);
  return r;
}

/** No such name or no TXT at it: an answer (no proof), not a failure. */
const NO_RECORDS = new Set(['ENOTFOUND', 'ENODATA', 'NXDOMAIN']);

/** The TXT records at `name`: [] when there are none, `domain.dns_unavailable` when DNS could not answer. */
export async function lookupTxt(resolver: TxtResolver, name: string): Promise<string[][]> {
  try {
    return await resolver.resolveTxt(name);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (NO_RECORDS.has(code)) return [];
    throw new IdsyncError('domain.dns_unavailable', `DNS could not answer for ${name} (${code || String(err)}); try again, or verify by an owner's sign-in`, { name, dnsCode: code });
  }
}
