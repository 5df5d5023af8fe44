/**
 * GitHub's side of an organization webhook (a GitHub App's): deliveries POSTed the documented way
 * (docs.github.com "Webhook events and payloads", "Validating webhook deliveries"): JSON body,
 * X-GitHub-Event, X-GitHub-Delivery (a GUID, the same on a redelivery), X-GitHub-Hook-ID and
 * X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the raw body with the webhook secret.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { GithubFake } from './github-fake.js';

export interface Delivery {
  event: string;
  delivery: string;
  body: string;
}

export class GithubWebhookSender {
  constructor(
    private readonly fake: GithubFake,
    private readonly url: string,
    private readonly secret: string,
  ) {}

  /** An `organization` event for member i (member_removed / member_added carry `membership.user`). */
  organization(i: number, action: 'member_removed' | 'member_added' | 'member_invited'): Delivery {
    const user = this.fake.memberAt(i);
    const org = { login: this.fake.opts.org, id: 9000, url: `https://api.github.com/orgs/${this.fake.opts.org}` };
    const membership = { url: `https://api.github.com/orgs/${org.login}/memberships/${String(user.login)}`, state: 'active', role: 'member', organization_url: org.url, user };
    const payload =
      action === 'member_invited'
        ? { action, invitation: { id: 1, login: user.login, email: null, role: 'direct_member' }, user, organization: org, sender: this.fake.memberAt(0), installation: { id: Number(this.fake.opts.installationId) } }
        : { action, membership, organization: org, sender: this.fake.memberAt(0), installation: { id: Number(this.fake.opts.installationId) } };
    return { event: 'organization', delivery: randomUUID(), body: JSON.stringify(payload) };
  }

  ping(): Delivery {
    return { event: 'ping', delivery: randomUUID(), body: JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, hook: { type: 'Organization', events: ['organization', 'membership'] } }) };
  }

  sign(body: string, secret = this.secret): string {
    return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  }

  /** POSTs a delivery; `signature` overrides the header (null: none). Answers the status. */
  async send(d: Delivery, signature?: string | null): Promise<number> {
    const sig = signature === undefined ? this.sign(d.body) : signature;
    const res = await fetch(this.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'GitHub-Hookshot/fake',
        'x-github-event': d.event,
        'x-github-delivery': d.delivery,
        'x-github-hook-id': '1',
        'x-github-hook-installation-target-type': 'integration',
        ...(sig !== null ? { 'x-hub-signature-256': sig } : {}),
      },
      body: d.body,
    });
    await res.arrayBuffer();
    return res.status;
  }
}
