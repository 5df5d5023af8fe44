import type { DirectoryProvider, ReconcileRun } from '../../../domain/model.js';
import type { ConnectionTestResult } from '../../../services/connections/test-connection.js';
import type { PublicConnection } from '../../../services/connections/service.js';
import { csrfField, esc, layout, type Chrome } from '../layout.js';
import { linkReveal } from '../members-page.js';
import { PROVIDER_FORMS, type ProviderForm } from './fields.js';
import { fixFor } from './fixes.js';
import { checkbox, errorSummary, field, when, type FieldErrors } from './form-parts.js';
import { POLICY_FIELDS, POLICY_SWITCHES, policyValues } from './policy-form.js';
import { runCounts, runTitle, STATUS_LABELS } from './run-page.js';

const base = (c: Chrome) => `/console/orgs/${esc(c.orgId)}/directory`;
const area = (c: Chrome): Chrome => ({ ...c, area: 'directory' });
const providerTitle = (p: DirectoryProvider) => PROVIDER_FORMS[p].title;

/** The directory area: the org's connections, and the three providers to connect. */
export function directoryPage(c: Chrome, conns: PublicConnection[], notices: string[] = []): string {
  const rows = conns
    .map(
      (k) => `<tr role="row">
<td role="cell" data-label="Connection"><a href="${base(c)}/${esc(k.id)}">${esc(k.name)}</a></td>
<td role="cell" data-label="Directory">${esc(providerTitle(k.provider))}</td>
<td role="cell" data-label="Sync">${k.enabled ? 'On' : 'Off'}</td>
<td role="cell" data-label="Health">${esc(k.health.replace('_', ' '))}</td>
<td role="cell" data-label="Last run">${when(k.lastRunAt)}</td>
</tr>`,
    )
    .join('\n');
  return layout(
    'Directory sync',
    `<h1>Directory sync</h1>
${notices.join('\n')}
<section class="card" aria-labelledby="conns-heading">
<h2 id="conns-heading">Connections</h2>
${conns.length ? `<table role="table"><caption class="sr-only">Directory connections</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Connection</th><th role="columnheader" scope="col">Directory</th><th role="columnheader" scope="col">Sync</th><th role="columnheader" scope="col">Health</th><th role="columnheader" scope="col">Last run</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>` : '<p>No directory is connected yet.</p>'}
</section>
<section class="card" aria-labelledby="connect-heading">
<h2 id="connect-heading">Connect a directory</h2>
<p>idsync reads the directory on a schedule, deactivates people who left it (within the limits you set, the rest waits for your approval), links members to their directory accounts and can invite the ones who have not joined.</p>
<ul class="choices">${(['google', 'microsoft', 'github'] as const).map((p) => `<li><a href="${base(c)}/new?provider=${p}">Set up ${esc(providerTitle(p))}</a></li>`).join('')}</ul>
</section>`,
    area(c),
  );
}

export interface ConfigFormView {
  form: ProviderForm;
  /** Non-secret values to show (what was typed, or what is stored). */
  values: Record<string, string>;
  errors: FieldErrors;
  /** Editing a stored connection: secrets are kept when left blank. */
  stored: boolean;
  name: string;
}

/** The provider's fields; the advanced ones fold away unless one is set or refused. */
function configFields(v: ConfigFormView): string {
  const plain = v.form.fields.filter((f) => !f.advanced);
  const advanced = v.form.fields.filter((f) => f.advanced);
  const open = advanced.some((f) => v.values[f.name] || v.errors[f.name]);
  const render = (f: (typeof plain)[number]) => field(f, v.values[f.name] ?? '', v.errors, { stored: v.stored });
  return `${plain.map(render).join('\n')}
<details${open ? ' open' : ''}><summary>Advanced settings</summary>
${advanced.map(render).join('\n')}
</details>`;
}

const labelsOf = (form: ProviderForm) => Object.fromEntries([['name', 'Connection name'], ...form.fields.map((f) => [f.name, f.label])]);

/** The form that creates a connection (it starts switched off: test and dry-run it first). */
export function newConnectionPage(c: Chrome, v: ConfigFormView): string {
  return layout(
    `Set up ${v.form.title}`,
    `<h1>Set up ${esc(v.form.title)}</h1>
${errorSummary(v.errors, labelsOf(v.form), 'The connection was not saved', { secrets: true })}
<section class="card" aria-labelledby="setup-heading">
<h2 id="setup-heading">Connection settings</h2>
<p>${esc(v.form.intro)}</p>
<p class="muted">Secrets are stored encrypted and never shown again. The connection starts switched off: test it and look at a dry run before you enable it.</p>
<form method="post" action="${base(c)}">${csrfField(c.csrf)}<input type="hidden" name="provider" value="${esc(v.form.provider)}">
${field({ name: 'name', label: 'Connection name', help: 'A name for this connection in idsync, like "Entra ID production".' }, v.name, v.errors)}
${configFields(v)}
<button type="submit">Save connection</button> <a href="${base(c)}">Cancel</a>
</form>
</section>`,
    area(c),
  );
}

export interface ConnectionView {
  chrome: Chrome;
  conn: PublicConnection;
  notices: string[];
  config: ConfigFormView;
  policy: { values: Record<string, string | boolean>; errors: FieldErrors };
  test?: ConnectionTestResult;
  runs: ReconcileRun[];
  inviteLinkUrl?: string;
}

export function connectionPage(v: ConnectionView): string {
  const c = v.chrome;
  const k = v.conn;
  const here = `${base(c)}/${esc(k.id)}`;
  const csrf = csrfField(c.csrf);
  const fix = k.actionRequired ? `<div class="notice error" role="alert"><p>Scheduled runs are stopped: ${esc(k.actionRequired.code)}: ${esc(k.actionRequired.message)}</p><p>${esc(fixFor(k.actionRequired.code, k.provider))}</p></div>` : '';
  return layout(
    k.name,
    `<h1>${esc(k.name)}</h1>
${v.notices.join('\n')}
${fix}
<section class="card" aria-labelledby="state-heading">
<h2 id="state-heading">${esc(providerTitle(k.provider))} connection</h2>
<dl class="facts">
<dt>Sync</dt><dd>${k.enabled ? `On: runs on the schedule <code>${esc(k.schedule)}</code>` : 'Off: nothing runs on a schedule'}</dd>
<dt>Health</dt><dd>${esc(k.health.replace('_', ' '))}</dd>
<dt>Last run</dt><dd>${when(k.lastRunAt)}</dd>
</dl>
<div class="actions">
<form class="inline" method="post" action="${here}/test">${csrf}<button type="submit">Test connection</button></form>
<form class="inline" method="post" action="${here}/dry-run">${csrf}<button type="submit" class="secondary">Dry run</button></form>
<form class="inline" method="post" action="${here}/run">${csrf}<button type="submit" class="secondary">Run now</button></form>
<form class="inline" method="post" action="${here}/${k.enabled ? 'disable' : 'enable'}">${csrf}<button type="submit" class="${k.enabled ? 'danger' : 'secondary'}">${k.enabled ? 'Disable sync' : 'Enable sync'}</button></form>
</div>
<p class="muted">Test connection reads the whole directory and changes nothing. Dry run plans who would be deactivated, linked or invited, with the evidence for each, and changes nothing.</p>
</section>
${v.test ? testCard(v.test, k.provider) : ''}
${runsCard(v)}
${policyCard(v, here)}
${v.inviteLinkUrl ? `<section class="card" aria-labelledby="link-heading"><h2 id="link-heading">Directory invite link</h2><p>Only people the directory lists as active can join through it.</p>${linkReveal('directory-link', 'Invite link of this connection', v.inviteLinkUrl)}</section>` : ''}
<section class="card" aria-labelledby="settings-heading">
<h2 id="settings-heading">Connection settings</h2>
${errorSummary(v.config.errors, labelsOf(v.config.form), 'The settings were not saved', { secrets: true })}
<form method="post" action="${here}/settings">${csrf}
${field({ name: 'name', label: 'Connection name', help: 'A name for this connection in idsync.' }, v.config.name, v.config.errors)}
${configFields(v.config)}
<button type="submit">Save settings</button>
</form>
</section>
<section class="card" aria-labelledby="delete-heading">
<h2 id="delete-heading">Delete this connection</h2>
<p>Runs stop for good and its stored credentials are deleted. The people it manages stay members; you are asked to confirm first.</p>
<form method="post" action="${here}/delete">${csrf}<button type="submit" class="danger">Delete connection</button></form>
</section>`,
    area(c),
  );
}

/**
 * "Delete Entra ID production?": what deleting does (what the admin API's DELETE does), to how
 * many members, before anything is deleted.
 */
export function confirmDeleteConnectionPage(c: Chrome, k: PublicConnection, managed: { active: number; inactive: number }): string {
  const here = `${base(c)}/${esc(k.id)}`;
  const n = managed.active + managed.inactive;
  const people = n === 0 ? 'It manages nobody now.' : `It manages ${n} ${n === 1 ? 'member' : 'members'} (${managed.active} active, ${managed.inactive} inactive).`;
  return layout(
    `Delete ${k.name}?`,
    `<section class="card" aria-labelledby="confirm-heading">
<h1 id="confirm-heading">Delete ${esc(k.name)}?</h1>
<p>${esc(providerTitle(k.provider))} connection <code>${esc(k.id)}</code>. ${people}</p>
<ul>
<li><strong>Runs stop:</strong> no scheduled run, no manual run, and no approval of a run it holds now; its change notifications are ended. Its stored credentials are deleted and cannot be shown again.</li>
<li><strong>Its members stay:</strong> nobody is deactivated or removed, and each keeps their status, role and teams. From then on admins manage them here: the members page offers deactivate and remove for them, as for people added by hand. Teams it keeps from directory groups stay too, with their members, no longer linked to a group.</li>
<li>The deletion is recorded in the audit trail. To sync this directory again, set up a new connection.</li>
</ul>
<form method="post" action="${here}/delete">${csrfField(c.csrf)}<input type="hidden" name="confirmed" value="yes">
<button type="submit" class="danger">Delete ${esc(k.name)}</button>
<a href="${here}">Cancel</a>
</form>
</section>`,
    area(c),
  );
}

function testCard(t: ConnectionTestResult, provider: DirectoryProvider): string {
  if (t.ok) {
    return `<section class="card" aria-labelledby="test-heading"><h2 id="test-heading">Test result</h2>
<div class="notice" role="status"><p>The connection works: ${t.users} ${t.users === 1 ? 'user' : 'users'} listed in ${t.pages} ${t.pages === 1 ? 'page' : 'pages'}, complete (${t.apiCalls} API calls, ${t.durationMs} ms).</p></div></section>`;
  }
  const error = t.error ?? { code: 'connector.incomplete', message: 'the listing did not complete' };
  return `<section class="card" aria-labelledby="test-heading"><h2 id="test-heading">Test result</h2>
<div class="notice error" role="alert"><p>The test failed: ${esc(error.code)}: ${esc(error.message)}</p>
<p>How to fix it: ${esc(fixFor(error.code, provider))}</p>
<p class="muted">${t.users} users listed in ${t.pages} pages before it stopped; the listing was not complete.</p></div></section>`;
}

function runsCard(v: ConnectionView): string {
  const here = `${base(v.chrome)}/${esc(v.conn.id)}`;
  const rows = v.runs
    .map((r) => {
      const kind = r.dryRun ? 'Dry run' : r.trigger === 'approval' ? 'Approval' : r.trigger === 'schedule' ? 'Scheduled run' : r.trigger === 'notification' ? 'Notification' : 'Run';
      return `<tr role="row">
<td role="cell" data-label="Started"><a href="${here}/runs/${esc(r.id)}" aria-label="${esc(runTitle(r))}">${esc(r.startedAt.replace('T', ' ').slice(0, 19))} UTC</a></td>
<td role="cell" data-label="Kind">${esc(kind)}</td>
<td role="cell" data-label="Outcome"><span class="run-${esc(r.status)}">${esc(STATUS_LABELS[r.status] ?? r.status)}</span></td>
<td role="cell" data-label="Counts">${esc(runCounts(r.summary))}</td>
</tr>`;
    })
    .join('\n');
  return `<section class="card" aria-labelledby="runs-heading">
<h2 id="runs-heading">Runs</h2>
${v.runs.length ? `<table role="table"><caption class="sr-only">Runs of this connection, newest first</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Started</th><th role="columnheader" scope="col">Kind</th><th role="columnheader" scope="col">Outcome</th><th role="columnheader" scope="col">Counts</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>` : '<p>No runs yet.</p>'}
</section>`;
}

function policyCard(v: ConnectionView, here: string): string {
  const values = v.policy.values;
  const labels = Object.fromEntries(POLICY_FIELDS.map((f) => [f.name, f.label]));
  return `<section class="card" aria-labelledby="policy-heading">
<h2 id="policy-heading">Schedule and policy</h2>
${errorSummary(v.policy.errors, labels, 'The schedule and policy were not saved')}
<form method="post" action="${here}/policy">${csrfField(v.chrome.csrf)}
${POLICY_FIELDS.map((f) => field(f, String(values[f.name] ?? ''), v.policy.errors)).join('\n')}
${POLICY_SWITCHES.map((s) => checkbox(s.name, s.label, values[s.name] === true, s.help)).join('\n')}
<div class="field">
<label for="f-reactivate">Reactivate people</label>
<select id="f-reactivate" name="reactivate" aria-describedby="f-reactivate-help">
<option value="ifDeactivatedByReconciler"${values.reactivate !== 'never' ? ' selected' : ''}>When active again in the directory, if idsync deactivated them</option>
<option value="never"${values.reactivate === 'never' ? ' selected' : ''}>Never automatically</option>
</select>
<p id="f-reactivate-help" class="help">Whether someone idsync deactivated comes back when the directory lists them as active again.</p>
</div>
<button type="submit">Save schedule and policy</button>
</form>
</section>`;
}

export { policyValues };
