import { compareStrength, type DeactivationEvidence, type Evidence, type GuardVerdict } from '../../../domain/reconcile-plan.js';
import type { DirectoryProvider, Member, ReconcileRun } from '../../../domain/model.js';
import { displayNameOf } from '../../../services/console/members.js';
import type { RecordedAction } from '../../../services/reconcile/service.js';
import { csrfField, esc, layout, type Chrome } from '../layout.js';
import { fixFor } from './fixes.js';
import { when } from './form-parts.js';

export const STATUS_LABELS: Record<string, string> = {
  running: 'Running',
  completed: 'Completed',
  held: 'Held for approval',
  incomplete: 'Incomplete listing: no one deactivated',
  failed: 'Failed',
  approved: 'Approved',
  rejected: 'Rejected',
};

/** Rows a plan table shows at most (a first run in a large directory plans thousands of links); the admin API has the whole plan. */
export const PLAN_ROWS = 500;

const num = (s: Record<string, unknown>, k: string) => (typeof s[k] === 'number' ? (s[k] as number) : 0);

/** "12 listed, 3 linked, 1 deactivated, 2 held, 0 invited" from a run summary. */
export function runCounts(summary: Record<string, unknown>): string {
  const parts = [`${num(summary, 'listed')} listed`, `${num(summary, 'linked')} linked`, `${num(summary, 'deactivated')} deactivated`, `${num(summary, 'held')} held`, `${num(summary, 'invited')} invited`];
  if (num(summary, 'reactivated')) parts.push(`${num(summary, 'reactivated')} reactivated`);
  return parts.join(', ');
}

const ACTION_LABELS: Record<RecordedAction['kind'], string> = { deactivate: 'Deactivate', link: 'Link', reactivate: 'Reactivate', invite: 'Invite', drift: 'Drift (SCIM disagrees)', protected: 'Protected' };

function deactivationEvidence(e: DeactivationEvidence): string {
  const matched = `matched by ${e.match}, directory id ${e.directoryId}`;
  switch (e.kind) {
    case 'confirmedByLookup':
      return `Missing from the listing, and a lookup of this one user said deleted (${matched})`;
    case 'deleted':
      return `Deleted in the directory${e.confirmedByLookup ? '; a lookup of this one user confirmed it' : ''} (${matched})`;
    case 'suspended':
      return `Suspended in the directory (${matched})`;
    case 'missingRuns':
      return `Missing from ${e.missingRuns} complete listings in a row; lookup ${e.lookup === 'error' ? 'failed' : 'not made'} (${matched})`;
  }
}

/** The evidence of one planned action, in words (the kinds are the README's). */
export function evidenceText(e: Evidence): string {
  switch (e.kind) {
    case 'link':
      return `Matched by ${e.by === 'email' ? 'email' : 'externalId'} to directory user ${e.directoryId}`;
    case 'reactivated':
      return `Active again in the directory (directory id ${e.directoryId})`;
    case 'invite':
      return `Active in the directory as ${e.email}, not a member`;
    case 'drift':
      return `The directory says ${e.directoryState}; SCIM manages this member, so the run leaves them (directory id ${e.directoryId})`;
    case 'protected':
      return `${deactivationEvidence(e.would)}, but ${e.because === 'owner' ? 'owners are' : 'this member is'} exempt`;
    default:
      return deactivationEvidence(e);
  }
}

function outcomeText(a: RecordedAction): string {
  const o = a.outcome;
  switch (o.status) {
    case 'applied':
      return 'Done';
    case 'planned':
      return 'Would be done (dry run)';
    case 'held':
      return o.by === 'deactivation_budget' ? 'Held: over the deactivation budget' : o.by === 'size_drop' ? 'Held: the listing shrank implausibly' : 'Held: the listing was incomplete';
    case 'refused':
      return `Refused (${o.code})`;
    case 'deferred':
      return `Deferred (${o.code})`;
    case 'reported':
      return 'Reported only';
  }
}

export interface RunView {
  chrome: Chrome;
  provider: DirectoryProvider;
  connectionName: string;
  run: ReconcileRun;
  /** Members the plan names, by id. */
  members: Map<string, Member>;
  notices: string[];
}

export function runTitle(run: ReconcileRun): string {
  return `${run.dryRun ? 'Dry run' : run.trigger === 'approval' ? 'Approval run' : 'Run'} of ${run.startedAt.replace('T', ' ').slice(0, 19)} UTC`;
}

export function runPage(v: RunView): string {
  const { run, chrome: c } = v;
  const conn = `/console/orgs/${esc(c.orgId)}/directory/${esc(run.connectionId)}`;
  const plan = run.plan as RecordedAction[];
  const who = (a: RecordedAction) => {
    if (a.kind === 'invite') return esc(a.email);
    const m = v.members.get(a.memberId);
    return m ? `${esc(displayNameOf(m))} <span class="muted">${esc(m.emails[0]?.value ?? m.userName)}</span>` : esc(a.memberId);
  };
  const nameOf = (a: RecordedAction) => {
    const m = a.memberId ? v.members.get(a.memberId) : undefined;
    return m ? displayNameOf(m) : (a.email ?? a.memberId ?? a.directoryId);
  };
  const table = (all: RecordedAction[], caption: string) => {
    const actions = all.slice(0, PLAN_ROWS);
    const more = all.length - actions.length;
    return `${more ? `<p class="muted">The first ${PLAN_ROWS} of ${all.length} actions; <code>GET /api/v1/orgs/{org}/runs/{run}</code> or <code>npx idsync runs get RUN_ID</code> has every one.</p>` : ''}<table role="table"><caption class="sr-only">${esc(caption)}</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Person</th><th role="columnheader" scope="col">Action</th><th role="columnheader" scope="col">Evidence</th><th role="columnheader" scope="col">Outcome</th></tr></thead>
<tbody role="rowgroup">${actions
    .map(
      (a) => `<tr role="row" aria-label="${esc(ACTION_LABELS[a.kind])} ${esc(nameOf(a))}">
<td role="cell" data-label="Person">${who(a)}</td>
<td role="cell" data-label="Action">${esc(ACTION_LABELS[a.kind])}</td>
<td role="cell" data-label="Evidence">${esc(evidenceText(a.evidence))}</td>
<td role="cell" data-label="Outcome">${esc(outcomeText(a))}</td>
</tr>`,
    )
    .join('\n')}</tbody></table>`;
  };
  const held = plan.filter((a) => a.outcome.status === 'held');
  const error = run.error ? `<div class="notice error" role="alert"><p>${esc(run.error.code)}: ${esc(run.error.message)}</p><p>How to fix it: ${esc(fixFor(run.error.code, v.provider))}</p></div>` : '';
  const title = runTitle(run);
  return layout(
    title,
    `<p><a href="${conn}">Back to ${esc(v.connectionName)}</a></p>
<h1>${esc(title)}</h1>
${v.notices.join('\n')}
${error}
<section class="card" aria-labelledby="summary-heading">
<h2 id="summary-heading">Outcome</h2>
<dl class="facts">
<dt>Outcome</dt><dd>${esc(STATUS_LABELS[run.status] ?? run.status)}${run.dryRun ? ' (dry run: nothing was changed)' : ''}</dd>
<dt>Started</dt><dd>${when(run.startedAt)}</dd>
<dt>Finished</dt><dd>${when(run.finishedAt)}</dd>
<dt>Counts</dt><dd>${esc(runCounts(run.summary))}</dd>
</dl>
${guardList(run.summary.guards)}
</section>
${held.length && run.status === 'held' && !run.dryRun ? approvalCard(v, held, table) : ''}
<section class="card" aria-labelledby="plan-heading">
<h2 id="plan-heading">Plan</h2>
${plan.length ? table(plan, 'Every action of the plan with its evidence') : '<p>Nothing to do: the directory and the members agree.</p>'}
</section>`,
    { ...c, area: 'directory' },
  );
}

function guardList(guards: unknown): string {
  if (!Array.isArray(guards) || !guards.length) return '';
  const items = (guards as GuardVerdict[]).map((g) => `<li>${g.passed ? 'Passed' : 'Tripped'}: ${esc(g.guard.replace(/_/g, ' '))}: ${esc(g.detail)}</li>`).join('');
  return `<h3>Guards</h3><ul>${items}</ul>`;
}

function approvalCard(v: RunView, held: RecordedAction[], table: (a: RecordedAction[], caption: string) => string): string {
  const here = `/console/orgs/${esc(v.chrome.orgId)}/directory/${esc(v.run.connectionId)}/runs/${esc(v.run.id)}`;
  const n = held.length;
  return `<section class="card" aria-labelledby="held-heading">
<h2 id="held-heading">${n} ${n === 1 ? 'deactivation' : 'deactivations'} held for approval</h2>
<p>These people would lose access. Approving reads the directory again and deactivates at most the number you give, strongest evidence first (a lookup that confirmed the deletion before a bare absence); the rest stay held. Rejecting leaves everyone as they are.</p>
${table(held, 'Held deactivations with their evidence')}
<form class="stacked" method="post" action="${here}/approve">${csrfField(v.chrome.csrf)}
<div class="field"><label for="f-max">Deactivate at most</label><input id="f-max" name="max" type="number" min="0" step="1" value="${n}" required aria-describedby="f-max-help"><p id="f-max-help" class="help">The approval run deactivates what its own budget allows, and up to this many of the held people beyond it.</p></div>
<button type="submit" class="danger">Approve</button>
</form>
<form class="inline" method="post" action="${here}/reject">${csrfField(v.chrome.csrf)}<button type="submit" class="secondary">Reject</button></form>
</section>`;
}

/**
 * "Release up to 2 held deactivations?": before an approval runs, what it will do and to whom it
 * may happen, strongest evidence first (the order the approval releases them in).
 */
export function confirmApprovalPage(v: RunView, max: number): string {
  const here = `/console/orgs/${esc(v.chrome.orgId)}/directory/${esc(v.run.connectionId)}/runs/${esc(v.run.id)}`;
  const held = (v.run.plan as RecordedAction[]).filter((a): a is Extract<RecordedAction, { kind: 'deactivate' }> => a.kind === 'deactivate' && a.outcome.status === 'held');
  const ordered = [...held].sort((a, b) => compareStrength(a.evidence, b.evidence));
  const title = `Release up to ${max} held ${max === 1 ? 'deactivation' : 'deactivations'}?`;
  const name = (a: RecordedAction) => {
    const m = v.members.get(a.memberId ?? '');
    return m ? `${esc(displayNameOf(m))} (${esc(m.emails[0]?.value ?? m.userName)})` : esc(a.memberId ?? a.directoryId);
  };
  const list = (actions: RecordedAction[]) => `<ul>${actions.slice(0, PLAN_ROWS).map((a) => `<li>${name(a)}: ${esc(evidenceText(a.evidence))}</li>`).join('')}</ul>`;
  return layout(
    title,
    `<section class="card" aria-labelledby="confirm-heading">
<h1 id="confirm-heading">${esc(title)}</h1>
<p><strong>Deactivated people lose access at once.</strong> The approval reads the directory again and plans anew: it deactivates what its own deactivation budget allows, and up to ${max} of the people still held beyond it, strongest evidence first. Anyone the directory lists as active again is left alone. What stays held waits for another decision.</p>
${ordered.length ? `<h2>First in line</h2>${list(ordered.slice(0, max))}` : ''}
${ordered.length > max ? `<h2>Stay held unless the budget covers them</h2>${list(ordered.slice(max))}` : ''}
<form method="post" action="${here}/approve">${csrfField(v.chrome.csrf)}<input type="hidden" name="max" value="${max}"><input type="hidden" name="confirmed" value="yes">
<button type="submit" class="danger">Release up to ${max}</button>
<a href="${here}">Cancel</a>
</form>
</section>`,
    { ...v.chrome, area: 'directory' },
  );
}
