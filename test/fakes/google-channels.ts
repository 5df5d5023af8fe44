/**
 * The Directory API's push side for the local Google fake: POST /admin/directory/v1/users/watch
 * opens a channel for one event (`customer`|`domain` and `event` in the query; body `{ id, type:
 * "web_hook", address, token, params: { ttl } }`; answer `{ kind: "api#channel", id, resourceId,
 * resourceUri, token, expiration }` with expiration in epoch milliseconds, capped at MAX_TTL_S), then
 * SENDS the channel's `sync` message; POST /admin/directory_v1/channels/stop closes one (`{ id,
 * resourceId }`, 204, or 404 for a channel it does not have). Changes are SENT to every open channel
 * of their event as Google sends them: a POST with the X-Goog-Channel-ID, -Token, -Expiration and
 * X-Goog-Resource-ID, -URI, -State, X-Goog-Message-Number headers and the user resource as the body.
 * (Google refuses http addresses; this fake takes the loopback http ones the tests listen on.)
 */
import { randomBytes } from 'node:crypto';
import type { FakeRequest, Reply } from './server.js';

export interface FakeChannel {
  id: string;
  event: string;
  address: string;
  token?: string;
  resourceId: string;
  resourceUri: string;
  expiration: number;
  /** The last message number sent on the channel (the sync message is 1). */
  number: number;
}

const EVENTS = new Set(['add', 'delete', 'makeAdmin', 'undelete', 'update']);
/** Directory channels last hours: asking for longer gets this. */
export const MAX_TTL_S = 6 * 60 * 60;
const err = (code: number, message: string, reason: string): Reply => ({ status: code, body: { error: { code, message, errors: [{ message, domain: 'global', reason }] } } });

export class GoogleChannelsFake {
  readonly channels = new Map<string, FakeChannel>();
  /** Every sync message sent and the status it got. */
  readonly syncs: { channelId: string; status: number }[] = [];
  watches = 0;
  stops = 0;
  /** The longest lifetime granted; a longer ttl is cut to it (Google answers the expiration it chose). */
  maxTtlS = MAX_TTL_S;
  /** Google's clock; tests that move the daemon's clock move this one with it. */
  now: () => number = Date.now;

  constructor(private readonly customerOk: (customer: string | null, domain: string | null) => Reply | undefined) {}

  route(req: FakeRequest): { route: 'users.watch' | 'channels.stop'; handle: () => Promise<Reply> | Reply } | undefined {
    if (req.method !== 'POST') return undefined;
    if (req.url.pathname === '/admin/directory/v1/users/watch') return { route: 'users.watch', handle: () => this.watch(req) };
    if (req.url.pathname === '/admin/directory_v1/channels/stop') return { route: 'channels.stop', handle: () => this.stop(req) };
    return undefined;
  }

  private watch(req: FakeRequest): Reply {
    const q = req.url.searchParams;
    const scope = this.customerOk(q.get('customer'), q.get('domain'));
    if (scope) return scope;
    const event = q.get('event') ?? '';
    if (!EVENTS.has(event)) return err(400, `Invalid value at 'event' (${event})`, 'invalid');
    let b: { id?: string; type?: string; address?: string; token?: string; params?: { ttl?: string | number } };
    try {
      b = JSON.parse(req.body) as typeof b;
    } catch {
      return err(400, 'Parse Error', 'parseError');
    }
    if (!b.id || !b.address || (b.type !== 'web_hook' && b.type !== 'webhook')) return err(400, 'Required', 'required');
    if (this.channels.has(b.id)) return err(400, `Channel id ${b.id} not unique`, 'channelIdNotUnique');
    const ttl = Math.min(Number(b.params?.ttl ?? 3600) || 3600, this.maxTtlS);
    const resourceUri = `https://admin.googleapis.com/admin/directory/v1/users?${q.get('customer') ? `customer=${q.get('customer')}` : `domain=${q.get('domain')}`}&event=${event}&alt=json`;
    const ch: FakeChannel = { id: b.id, event, address: b.address, ...(b.token ? { token: b.token } : {}), resourceId: `r-${event}-${randomBytes(6).toString('hex')}`, resourceUri, expiration: this.now() + ttl * 1000, number: 0 };
    this.channels.set(ch.id, ch);
    this.watches += 1;
    // The sync message follows the answer, as Google's does (it may also overtake it).
    setImmediate(() => void this.sync(ch));
    return { status: 200, body: { kind: 'api#channel', id: ch.id, resourceId: ch.resourceId, resourceUri, ...(ch.token ? { token: ch.token } : {}), expiration: String(ch.expiration) } };
  }

  private stop(req: FakeRequest): Reply {
    const b = JSON.parse(req.body || '{}') as { id?: string; resourceId?: string };
    const ch = b.id ? this.channels.get(b.id) : undefined;
    if (!ch || ch.resourceId !== b.resourceId) return err(404, `Channel '${b.id}' not found for project '123456789'`, 'notFound');
    this.channels.delete(ch.id);
    this.stops += 1;
    return { status: 204 };
  }

  private async sync(ch: FakeChannel): Promise<void> {
    const status = await this.post(ch, 'sync', '');
    this.syncs.push({ channelId: ch.id, status });
  }

  /** The channels Google still sends on (not stopped, not expired). */
  open(event?: string): FakeChannel[] {
    return [...this.channels.values()].filter((c) => c.expiration > this.now() && (event === undefined || c.event === event));
  }

  /** Google forgets a channel without telling anyone (it expired early, or was dropped). */
  drop(id: string): void {
    this.channels.delete(id);
  }

  /** The headers and body Google sends for `state` on a channel (the next message number). */
  message(ch: FakeChannel, state: string, user?: { id: string; primaryEmail: string }): { headers: Record<string, string>; body: string } {
    ch.number += 1;
    const headers: Record<string, string> = {
      'content-type': 'application/json; charset=UTF-8',
      'x-goog-channel-id': ch.id,
      'x-goog-channel-expiration': new Date(ch.expiration).toUTCString(),
      'x-goog-resource-id': ch.resourceId,
      'x-goog-resource-uri': ch.resourceUri,
      'x-goog-resource-state': state,
      'x-goog-message-number': String(ch.number),
      ...(ch.token ? { 'x-goog-channel-token': ch.token } : {}),
    };
    const body = user ? JSON.stringify({ kind: 'admin#directory#user', id: user.id, etag: `"${randomBytes(8).toString('hex')}"`, primaryEmail: user.primaryEmail }) : '';
    return { headers, body };
  }

  /** POSTs a message to an address (the channel's by default); the HTTP status it got. */
  async deliver(msg: { headers: Record<string, string>; body: string }, address: string): Promise<number> {
    try {
      const res = await fetch(address, { method: 'POST', headers: msg.headers, body: msg.body });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  }

  private post(ch: FakeChannel, state: string, _body: string, user?: { id: string; primaryEmail: string }): Promise<number> {
    return this.deliver(this.message(ch, state, user), ch.address);
  }

  /** Sends `event` about a user on every open channel of that event; the statuses they got. */
  async notify(event: string, user: { id: string; primaryEmail: string }): Promise<number[]> {
    return Promise.all(this.open(event).map((ch) => this.post(ch, event, '', user)));
  }
}
