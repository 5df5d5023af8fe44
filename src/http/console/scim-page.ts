import type { StoredScimLogEntry } from '../../domain/scim-log.js';
import type { PublicScimToken } from '../../services/credentials.js';
import type { PublicScimClient } from '../../services/scim-clients/service.js';
import { csrfField, esc, layout, type Chrome } from './layout.js';
import { reveal, when } from './reveal.js';

export interface ScimView {
  chrome: Chrome;
  notices: string[];
  baseUrl: string;
  tokenUrl: string;
  tokens: PublicScimToken[];
  maxLiveTokens: number;
  clients: PublicScimClient[];
  now: Date;
  log: { enabled: boolean; errorsOnly: boolean; items: StoredScimLogEntry[]; olderHref?: string; newestHref?: string; days: number };
}

/** The SCIM setup page: base URL, tokens, OAuth clients, Okta and Entra steps, and the request log. */
export function scimPage(v: ScimView): string {
  const base = `/console/orgs/${esc(v.chrome.orgId)}/scim`;
  return layout(
    'SCIM provisioning',
    `<h1>SCIM provisioning</h1>
${v.notices.join('\n')}
<section class="card" aria-labelledby="base-heading">
<h2 id="base-heading">SCIM base URL</h2>
<p class="muted">Your identity provider sends users and groups here. The token (or OAuth client) it uses selects ${esc(v.chrome.orgName)}.</p>
${reveal('scim-base-url', 'SCIM base URL', v.baseUrl, { button: 'Copy base URL', copied: 'Base URL copied to the clipboard.' })}
</section>
${tokenCard(v, base)}
${clientCard(v, base)}
${oktaSteps(v)}
${entraSteps(v)}
${logCard(v)}`,
    { ...v.chrome, area: 'scim' },
  );
}

function tokenCard(v: ScimView, base: string): string {
  const csrf = csrfField(v.chrome.csrf);
  const live = v.tokens.filter((t) => !t.revokedAt);
  const name = (t: PublicScimToken) => t.label ?? t.prefix;
  const rows = v.tokens
    .map(
      (t) => `<tr role="row">
<td role="cell" data-label="Label">${esc(t.label ?? '(no label)')}</td>
<td role="cell" data-label="Starts with"><code>${esc(t.prefix)}…</code></td>
<td role="cell" data-label="Created">${when(t.createdAt)}</td>
<td role="cell" data-label="Last used">${when(t.lastUsedAt)}</td>
<td role="cell" data-label="Status">${t.revokedAt ? `revoked ${when(t.revokedAt)}` : '<span class="status-active">live</span>'}</td>
<td role="cell" data-label="Actions">${t.revokedAt ? '' : `<form class="inline" method="post" action="${base}/tokens/${esc(t.id)}/revoke">${csrf}<button type="submit" class="danger" aria-label="Revoke token ${esc(name(t))}">Revoke</button></form>`}</td>
</tr>`,
    )
    .join('\n');
  return `<section class="card" aria-labelledby="tokens-heading">
<h2 id="tokens-heading">Bearer tokens</h2>
<p class="muted">A token is shown once, when it is created; only a hash is kept. At most ${v.maxLiveTokens} can be live at once, so you can switch the identity provider to a new token before revoking the old one (${live.length} live now). Revoking takes effect on the next request.</p>
<form class="invite" method="post" action="${base}/tokens">${csrf}
<label>Token label<input type="text" name="label" maxlength="200" autocomplete="off" placeholder="okta"></label>
<button type="submit">Create token</button>
</form>
${v.tokens.length ? `<table role="table"><caption class="sr-only">SCIM tokens</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Label</th><th role="columnheader" scope="col">Starts with</th><th role="columnheader" scope="col">Created</th><th role="columnheader" scope="col">Last used</th><th role="columnheader" scope="col">Status</th><th role="columnheader" scope="col">Actions</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>` : '<p>No tokens yet.</p>'}
</section>`;
}

function clientCard(v: ScimView, base: string): string {
  const csrf = csrfField(v.chrome.csrf);
  const rows = v.clients
    .map((c) => {
      const liveSecrets = c.secrets.filter((s) => s.revokedAt === undefined && Date.parse(s.expiresAt) > v.now.getTime());
      const expiry = liveSecrets.map((s) => s.expiresAt).sort()[0];
      return `<tr role="row">
<td role="cell" data-label="Label">${esc(c.label ?? '(no label)')}</td>
<td role="cell" data-label="Client ID"><code>${esc(c.id)}</code></td>
<td role="cell" data-label="Created">${when(c.createdAt)}</td>
<td role="cell" data-label="Live secrets">${c.revokedAt ? '—' : `${liveSecrets.length}${expiry ? `, first expires ${when(expiry)}` : ''}`}</td>
<td role="cell" data-label="Status">${c.revokedAt ? `revoked ${when(c.revokedAt)}` : '<span class="status-active">live</span>'}</td>
<td role="cell" data-label="Actions">${c.revokedAt ? '' : `<form class="inline" method="post" action="${base}/clients/${esc(c.id)}/revoke">${csrf}<button type="submit" class="danger" aria-label="Revoke OAuth client ${esc(c.label ?? c.id)}">Revoke</button></form>`}</td>
</tr>`;
    })
    .join('\n');
  return `<section class="card" aria-labelledby="clients-heading">
<h2 id="clients-heading">OAuth clients</h2>
<p class="muted">For identity providers that fetch short-lived access tokens with the OAuth 2.0 client credentials grant (Microsoft Entra ID offers it). Token endpoint: <code>${esc(v.tokenUrl)}</code>. The secret is shown once; it expires after a year. Revoking a client stops its access tokens at once.</p>
<form class="invite" method="post" action="${base}/clients">${csrf}
<label>Client label<input type="text" name="label" maxlength="200" autocomplete="off" placeholder="entra"></label>
<button type="submit">Create OAuth client</button>
</form>
${v.clients.length ? `<table role="table"><caption class="sr-only">OAuth clients</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Label</th><th role="columnheader" scope="col">Client ID</th><th role="columnheader" scope="col">Created</th><th role="columnheader" scope="col">Live secrets</th><th role="columnheader" scope="col">Status</th><th role="columnheader" scope="col">Actions</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>` : '<p>No OAuth clients yet.</p>'}
</section>`;
}

function oktaSteps(v: ScimView): string {
  return `<section class="card" aria-labelledby="okta-heading">
<h2 id="okta-heading">Set up Okta</h2>
<ol class="steps">
<li>In the Okta Admin Console, open <strong>Applications</strong>, then your app integration (or create one with <strong>Create App Integration</strong>, SAML 2.0 or OIDC), and on its <strong>General</strong> tab choose <strong>Edit</strong> under App Settings and select <strong>SCIM</strong> as the provisioning method; save.</li>
<li>Open the <strong>Provisioning</strong> tab, then <strong>Integration</strong> and <strong>Edit</strong>.</li>
<li><strong>SCIM connector base URL</strong>: <code>${esc(v.baseUrl)}</code></li>
<li><strong>Unique identifier field for users</strong>: <code>userName</code></li>
<li><strong>Supported provisioning actions</strong>: tick <em>Import New Users and Profile Updates</em>, <em>Push New Users</em>, <em>Push Profile Updates</em> and <em>Push Groups</em>.</li>
<li><strong>Authentication Mode</strong>: <strong>HTTP Header</strong>. Under <strong>Authorization</strong>, paste a bearer token created above (Okta sends it as <code>Bearer …</code>). Okta's <em>OAuth 2</em> mode signs in with the authorization-code grant, which idsync does not offer: use HTTP Header.</li>
<li>Choose <strong>Test Connector Configuration</strong>; Okta reads <code>/ServiceProviderConfig</code> and lists users. Then <strong>Save</strong>.</li>
<li>Under <strong>Provisioning</strong> → <strong>To App</strong>, choose <strong>Edit</strong> and enable <strong>Create Users</strong>, <strong>Update User Attributes</strong> and <strong>Deactivate Users</strong>; save. Assign people and push groups on the <strong>Assignments</strong> and <strong>Push Groups</strong> tabs.</li>
</ol>
</section>`;
}

function entraSteps(v: ScimView): string {
  return `<section class="card" aria-labelledby="entra-heading">
<h2 id="entra-heading">Set up Microsoft Entra ID</h2>
<ol class="steps">
<li>In the Microsoft Entra admin center, open <strong>Enterprise applications</strong>, then your app (or <strong>New application</strong> → <strong>Create your own application</strong> → <em>Integrate any other application you don't find in the gallery</em>).</li>
<li>Open <strong>Provisioning</strong> and set <strong>Provisioning Mode</strong> to <strong>Automatic</strong>.</li>
<li>Under <strong>Admin Credentials</strong>: <strong>Tenant URL</strong> <code>${esc(v.baseUrl)}</code>. With a bearer token, paste it into <strong>Secret Token</strong>. With an OAuth client instead, choose the authentication method <em>OAuth 2.0 client credentials grant</em> and fill <strong>Token endpoint</strong> <code>${esc(v.tokenUrl)}</code>, <strong>Client identifier</strong> (the client ID) and <strong>Client secret</strong>.</li>
<li>Choose <strong>Test Connection</strong>; Entra should report that the credentials are authorized. Then <strong>Save</strong>.</li>
<li>Under <strong>Mappings</strong>, keep <code>userPrincipalName</code> (or <code>mail</code>) → <code>userName</code>, and <code>Switch([IsSoftDeleted], …)</code> → <code>active</code> as Entra proposes.</li>
<li>Under <strong>Settings</strong>, choose the <strong>Scope</strong> (assigned users and groups), set <strong>Provisioning Status</strong> to <strong>On</strong> and <strong>Save</strong>. Entra's first cycle starts within 40 minutes; the request log below shows what it sent.</li>
</ol>
</section>`;
}

function logCard(v: ScimView): string {
  const l = v.log;
  if (!l.enabled) {
    return `<section class="card" aria-labelledby="log-heading"><h2 id="log-heading">SCIM request log</h2><p>The request log is turned off on this installation (<code>scim.requestLogDays</code> is 0).</p></section>`;
  }
  const rows = l.items
    .map((e, i) => {
      const err = e.error ?? (e.operationErrors?.length ? e.operationErrors[0] : undefined);
      const detail = err
        ? `${err.scimType ? `<code>${esc(err.scimType)}</code>: ` : ''}${esc(err.detail)}${e.operationErrors && e.operationErrors.length ? ` <span class="muted">(${e.operationErrors.length} failed ${e.operationErrors.length === 1 ? 'operation' : 'operations'}; first: operation ${e.operationErrors[0]!.operation})</span>` : ''}`
        : '<span class="muted">none</span>';
      return `<tr role="row">
<td role="cell" data-label="Time">${when(e.at)}</td>
<td role="cell" data-label="Request"><code>${esc(e.method)} ${esc(e.path)}</code></td>
<td role="cell" data-label="Status"><span class="${e.status >= 400 ? 'bad' : 'ok'}">${e.status}</span></td>
<td role="cell" data-label="Error">${detail}</td>
<td role="cell" data-label="Sent by">${esc(e.idp)}${e.credential ? ` <span class="muted">(${esc(e.credential.label ?? e.credential.id)})</span>` : ''}</td>
<td role="cell" data-label="Body">${e.requestBody ? `<details><summary>Body the IdP sent<span class="sr-only"> with request ${i + 1}</span></summary><pre>${esc(pretty(e.requestBody))}</pre></details>` : '<span class="muted">none</span>'}</td>
</tr>`;
    })
    .join('\n');
  const toggle = `<p>Showing ${l.errorsOnly ? '<strong>errors only</strong> (status 400–599)' : '<strong>all requests</strong>'}. <a href="${esc(l.errorsOnly ? `/console/orgs/${v.chrome.orgId}/scim?log=all#log-heading` : `/console/orgs/${v.chrome.orgId}/scim#log-heading`)}">${l.errorsOnly ? 'Show all requests' : 'Show errors only'}</a></p>`;
  return `<section class="card" aria-labelledby="log-heading">
<h2 id="log-heading">SCIM request log</h2>
<p class="muted">What your identity provider sent and what idsync answered, newest first, kept ${l.days} days. Tokens, the Authorization header and passwords are never recorded.</p>
${toggle}
${l.items.length ? `<table role="table"><caption class="sr-only">SCIM requests</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Time</th><th role="columnheader" scope="col">Request</th><th role="columnheader" scope="col">Status</th><th role="columnheader" scope="col">Error</th><th role="columnheader" scope="col">Sent by</th><th role="columnheader" scope="col">Body</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>` : `<p>${l.errorsOnly ? 'No failed requests.' : 'No requests yet.'}</p>`}
<nav class="pager" aria-label="Log pages">
${l.newestHref ? `<a href="${esc(l.newestHref)}">Newest entries</a>` : ''}
${l.olderHref ? `<a href="${esc(l.olderHref)}">Older entries</a>` : ''}
</nav>
</section>`;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

/** "Revoke the token okta?": what stops, before anything is revoked. */
export function confirmRevokePage(chrome: Chrome, what: { kind: 'token' | 'client'; id: string; name: string }): string {
  const base = `/console/orgs/${esc(chrome.orgId)}/scim`;
  const noun = what.kind === 'token' ? 'token' : 'OAuth client';
  const title = `Revoke the ${noun} ${what.name}?`;
  const action = `${base}/${what.kind === 'token' ? 'tokens' : 'clients'}/${esc(what.id)}/revoke`;
  return layout(
    title,
    `<section class="card" aria-labelledby="confirm-heading">
<h1 id="confirm-heading">${esc(title)}</h1>
<p><strong>This cannot be undone.</strong> Requests from your identity provider with ${what.kind === 'token' ? 'this token' : "this client's access tokens"} are refused from the next one on, so provisioning stops until the identity provider has ${what.kind === 'token' ? 'another live token' : 'other credentials'}. To rotate without a gap, create the new ${noun} first and switch the identity provider to it.</p>
<form method="post" action="${action}">${csrfField(chrome.csrf)}<input type="hidden" name="confirmed" value="yes">
<button type="submit" class="danger">Revoke ${esc(noun)} ${esc(what.name)}</button>
<a href="${base}">Cancel</a>
</form>
</section>`,
    { ...chrome, area: 'scim' },
  );
}
