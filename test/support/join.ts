/** Helpers of the join tests: a free port, and a browser-like redirect walker with a cookie jar per host. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Cookies by host (path and expiry attributes are ignored except for deletion). */
export class CookieJar {
  readonly byHost = new Map<string, Map<string, string>>();

  header(url: URL): string {
    return [...(this.byHost.get(url.host) ?? new Map<string, string>()).entries()].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  store(url: URL, res: Response): void {
    const jar = this.byHost.get(url.host) ?? new Map<string, string>();
    this.byHost.set(url.host, jar);
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const gone = value === '' || attrs.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a));
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
  }

  get(host: string, name: string): string | undefined {
    return this.byHost.get(host)?.get(name);
  }

  set(host: string, name: string, value: string): void {
    const jar = this.byHost.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.byHost.set(host, jar);
  }
}

export interface Landed {
  status: number;
  url: URL;
  text: string;
  headers: Headers;
  /** Every URL visited, in order. */
  hops: string[];
}

/**
 * Follows redirects by hand like a browser, storing and sending cookies per host. With `stop`, it
 * returns (without requesting) the first URL for which stop() is true.
 */
export async function walk(start: string, jar: CookieJar, stop?: (u: URL) => boolean): Promise<Landed> {
  let url = new URL(start);
  const hops: string[] = [];
  for (let i = 0; i < 25; i++) {
    if (stop?.(url)) return { status: 0, url, text: '', headers: new Headers(), hops };
    hops.push(url.href);
    const res = await fetch(url, { redirect: 'manual', headers: { cookie: jar.header(url) } });
    jar.store(url, res);
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url);
      continue;
    }
    return { status: res.status, url, text: await res.text(), headers: res.headers, hops };
  }
  throw new Error(`too many redirects: ${hops.join(' -> ')}`);
}
