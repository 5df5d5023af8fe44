import type { Request } from 'express';
import { esc, layout } from './layout.js';

/**
 * What GET /console/start answers: a page with one button that POSTs the token. Opening a link
 * consumes it, and mail security scanners and chat previews GET every link they see, so a GET
 * must never consume; a person clicks (no script needed), a scanner does not.
 */
export function continuePage(token: string): string {
  return layout(
    'Open the console',
    `<section class="card"><h1>Open the console</h1>
<p>This link opens one console session, once. Continue when you are ready.</p>
<form method="post" action="/console/start"><input type="hidden" name="token" value="${esc(token)}"><button type="submit">Continue to the console</button></form>
</section>`,
  );
}

/**
 * Whether a browser says the POST came from another site's page (Fetch Metadata). The token is the
 * secret of this form, so only a page that holds it can post it; refusing cross-site posts also
 * keeps another site from signing a visitor into a console session of its own. Clients that send
 * no Fetch Metadata (scripts, older browsers) are not refused.
 */
export function postedFromAnotherSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  return site === 'cross-site' || site === 'same-site';
}
