import type { Request, Response, Router } from 'express';
import { IdsyncError, isIdsyncError } from '../../../domain/errors.js';
import type { DirectoryConnection, ReconcileRun } from '../../../domain/model.js';
import { publicConnection, type PublicConnection } from '../../../services/connections/service.js';
import type { ConnectionTestResult } from '../../../services/connections/test-connection.js';
import type { Services } from '../../../services/index.js';
import type { RecordedAction } from '../../../services/reconcile/service.js';
import type { Fail } from '../router.js';
import { esc, notice, type Chrome } from '../layout.js';
import { confirmDeleteConnectionPage, connectionPage, directoryPage, newConnectionPage, type ConfigFormView } from './connection-pages.js';
import { fieldOfIssue, formToConfig, isProvider, PROVIDER_FORMS } from './fields.js';
import type { FieldErrors } from './form-parts.js';
import { formToPolicy, policyValues, submittedPolicyValues } from './policy-form.js';
import { confirmApprovalPage, PLAN_ROWS, runPage, runTitle } from './run-page.js';

interface Deps {
  services: Services;
  chrome: (res: Response) => Promise<Chrome>;
  fail: Fail;
}

type Body = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const num = (o: Record<string, unknown>, k: string) => (typeof o[k] === 'number' ? (o[k] as number) : 0);

/**
 * The service's refusal of a form, by field, each with its code; undefined when the error is not
 * about the form (it is then shown as a problem page). Config problems come from the connector
 * (`connector.invalid_config`, one issue per key), the rest from the service's input schemas.
 */
function fieldErrors(err: unknown, provider: DirectoryConnection['provider']): FieldErrors | undefined {
  if (!isIdsyncError(err)) return undefined;
  const out: FieldErrors = {};
  if (err.code === 'connector.invalid_config') {
    for (const i of (err.details?.issues ?? []) as { key: string; message: string }[]) out[fieldOfIssue(provider, i.key)] ??= `${err.code}: ${i.message}`;
  } else if (err.code === 'request.invalid') {
    for (const p of (err.details?.problems ?? []) as { field: string; message: string }[]) out[p.field.replace(/^(config|policy)\./, '')] ??= `${err.code}: ${p.message}`;
  } else return undefined;
  if (!Object.keys(out).length) out['(form)'] = `${err.code}: ${err.message}`;
  return out;
}

/** The non-secret values of a stored connection, as the settings form shows them. */
function storedValues(conn: PublicConnection): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of PROVIDER_FORMS[conn.provider].fields) {
    const v = conn.settings[f.name];
    if (!f.secret && (typeof v === 'string' || typeof v === 'number')) out[f.name] = String(v);
  }
  return out;
}

function typedValues(provider: DirectoryConnection['provider'], body: Body): Record<string, string> {
  return Object.fromEntries(PROVIDER_FORMS[provider].fields.filter((f) => !f.secret).map((f) => [f.name, str(body[f.name])]));
}

/**
 * The directory area of the console (`directory` intent): connect Google Workspace, Microsoft
 * Entra ID or GitHub with a form per provider, test, dry-run, set schedule and policy, enable, and
 * review runs, approving or rejecting held deactivations. Every handler asks the admin API's
 * authorization (`assertCanAdminister`) and calls the same services, with the session as actor.
 */
export function directoryRoutes(org: Router, d: Deps): void {
  const s = d.services;
  const who = (res: Response) => {
    const { principal, session } = res.locals.signIn;
    s.admin.assertCanAdminister(principal, session.orgId);
    return { principal, orgId: session.orgId, actor: principal.actor };
  };
  const connOf = async (req: Request, res: Response) => s.connections.get(String(req.params.id), who(res).orgId);
  const guarded = (fn: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await fn(req, res);
    } catch (err) {
      d.fail(res, err);
    }
  };

  interface ConnRender {
    notices?: string[];
    config?: { values: Record<string, string>; errors: FieldErrors; name: string };
    policy?: { values: Record<string, string | boolean>; errors: FieldErrors };
    test?: ConnectionTestResult;
    status?: number;
  }
  const renderConnection = async (res: Response, stored: DirectoryConnection, r: ConnRender = {}) => {
    const conn = publicConnection(stored);
    const [c, runs, link] = await Promise.all([
      d.chrome(res),
      s.reconcile.listRuns(conn.id, { limit: 20 }),
      conn.policy.inviteLink === true ? s.reconcile.inviteLinkUrl(conn.id).catch(() => undefined) : Promise.resolve(undefined),
    ]);
    const config: ConfigFormView = { form: PROVIDER_FORMS[conn.provider], stored: true, values: r.config?.values ?? storedValues(conn), errors: r.config?.errors ?? {}, name: r.config?.name ?? conn.name };
    res.status(r.status ?? 200).type('html').send(
      connectionPage({
        chrome: c,
        conn,
        notices: r.notices ?? [],
        config,
        policy: r.policy ?? { values: policyValues(conn), errors: {} },
        runs: runs.items,
        ...(r.test ? { test: r.test } : {}),
        ...(link ? { inviteLinkUrl: link.url } : {}),
      }),
    );
  };

  /** The run's page, or with `confirmMax` the confirmation of an approval releasing that many. */
  const renderRun = async (res: Response, conn: DirectoryConnection, run: ReconcileRun, notices: string[] = [], status = 200, confirmMax?: number) => {
    const { principal, orgId } = who(res);
    const plan = run.plan as RecordedAction[];
    // The members the page names: the rows of the plan table and of the held table.
    const shown = [...plan.slice(0, PLAN_ROWS), ...plan.filter((a) => a.outcome.status === 'held').slice(0, PLAN_ROWS)];
    const ids = shown.map((a) => a.memberId).filter((x): x is string => typeof x === 'string');
    const members = await s.consoleMembers.named(principal, orgId, [...new Set(ids)]);
    const view = { chrome: await d.chrome(res), provider: conn.provider, connectionName: conn.name, run, members, notices };
    res.status(status).type('html').send(confirmMax === undefined ? runPage(view) : confirmApprovalPage(view, confirmMax));
  };

  const runOf = async (req: Request, conn: DirectoryConnection) => {
    const run = await s.reconcile.getRun(String(req.params.run));
    if (run.orgId !== conn.orgId || run.connectionId !== conn.id) throw new IdsyncError('run.not_found', `run ${String(req.params.run)} not found`, { runId: String(req.params.run) });
    return run;
  };

  org.get(
    '/directory',
    guarded(async (_req, res) => {
      const { orgId } = who(res);
      const [c, conns] = await Promise.all([d.chrome(res), s.connections.list(orgId)]);
      res.type('html').send(directoryPage(c, conns));
    }),
  );

  org.get(
    '/directory/new',
    guarded(async (req, res) => {
      who(res);
      const provider = req.query.provider;
      if (!isProvider(provider)) throw new IdsyncError('request.invalid', 'provider: choose google, microsoft or github');
      res.type('html').send(newConnectionPage(await d.chrome(res), { form: PROVIDER_FORMS[provider], values: {}, errors: {}, stored: false, name: '' }));
    }),
  );

  org.post(
    '/directory',
    guarded(async (req, res) => {
      const { orgId, actor } = who(res);
      const body = req.body as Body;
      const provider = body.provider;
      if (!isProvider(provider)) throw new IdsyncError('request.invalid', 'provider: choose google, microsoft or github');
      const name = str(body.name);
      try {
        const created = await s.connections.create(orgId, { provider, ...(name ? { name } : {}), config: formToConfig(provider, body, false), enabled: false }, actor);
        await renderConnection(res, await s.connections.get(created.id, orgId), { notices: [notice(`Saved ${esc(created.name)}. Sync is off: test the connection and look at a dry run, then enable it.`)] });
      } catch (err) {
        const errors = fieldErrors(err, provider);
        if (!errors) throw err;
        res.status(400).type('html').send(newConnectionPage(await d.chrome(res), { form: PROVIDER_FORMS[provider], values: typedValues(provider, body), errors, stored: false, name }));
      }
    }),
  );

  org.get(
    '/directory/:id',
    guarded(async (req, res) => {
      await renderConnection(res, await connOf(req, res));
    }),
  );

  org.post(
    '/directory/:id/settings',
    guarded(async (req, res) => {
      const conn = await connOf(req, res);
      const body = req.body as Body;
      const name = str(body.name);
      try {
        await s.connections.update(conn.id, { ...(name ? { name } : {}), config: formToConfig(conn.provider, body, true) }, who(res).actor, conn.orgId);
        await renderConnection(res, await s.connections.get(conn.id, conn.orgId), { notices: [notice('Saved the connection settings. Test the connection to check them.')] });
      } catch (err) {
        const errors = fieldErrors(err, conn.provider);
        if (!errors) throw err;
        await renderConnection(res, conn, { status: 400, config: { values: typedValues(conn.provider, body), errors, name } });
      }
    }),
  );

  org.post(
    '/directory/:id/policy',
    guarded(async (req, res) => {
      const conn = await connOf(req, res);
      const body = req.body as Body;
      try {
        await s.connections.update(conn.id, formToPolicy(body), who(res).actor, conn.orgId);
        await renderConnection(res, await s.connections.get(conn.id, conn.orgId), { notices: [notice('Saved the schedule and policy. The next run plans with them.')] });
      } catch (err) {
        const errors = fieldErrors(err, conn.provider);
        if (!errors) throw err;
        await renderConnection(res, conn, { status: 400, policy: { values: submittedPolicyValues(body), errors } });
      }
    }),
  );

  for (const [path, enabled] of [['enable', true], ['disable', false]] as const) {
    org.post(
      `/directory/:id/${path}`,
      guarded(async (req, res) => {
        const conn = await connOf(req, res);
        await s.connections.update(conn.id, { enabled }, who(res).actor, conn.orgId);
        await renderConnection(res, await s.connections.get(conn.id, conn.orgId), {
          notices: [notice(enabled ? `Sync is on: runs follow the schedule ${esc(conn.schedule)}.` : 'Sync is off: no scheduled runs until you enable it again.')],
        });
      }),
    );
  }

  // Delete asks first (what happens, to how many), then calls the same service as the admin API's DELETE.
  org.post(
    '/directory/:id/delete',
    guarded(async (req, res) => {
      const conn = await connOf(req, res);
      const { principal, orgId, actor } = who(res);
      if ((req.body as Body).confirmed !== 'yes') {
        const managed = await s.consoleMembers.managedByConnection(principal, orgId, conn.id);
        return void res.type('html').send(confirmDeleteConnectionPage(await d.chrome(res), publicConnection(conn), managed));
      }
      await s.connections.delete(conn.id, actor, orgId);
      const [c, conns] = await Promise.all([d.chrome(res), s.connections.list(orgId)]);
      res.type('html').send(directoryPage(c, conns, [notice(`Deleted ${esc(conn.name)}: its runs have stopped. The members it managed stay, and admins manage them now.`)]));
    }),
  );

  org.post(
    '/directory/:id/test',
    guarded(async (req, res) => {
      const conn = await connOf(req, res);
      const test = await s.connections.test(conn.id, conn.orgId);
      await renderConnection(res, await s.connections.get(conn.id, conn.orgId), { test });
    }),
  );

  // Run actions answer with a redirect to the run's page (reloading it repeats nothing); `done` says which notice to show there.
  const runUrl = (conn: DirectoryConnection, runId: string, done: Record<string, string>) => `/console/orgs/${encodeURIComponent(conn.orgId)}/directory/${encodeURIComponent(conn.id)}/runs/${encodeURIComponent(runId)}?${new URLSearchParams(done).toString()}`;

  for (const [path, dryRun] of [['dry-run', true], ['run', false]] as const) {
    org.post(
      `/directory/:id/${path}`,
      guarded(async (req, res) => {
        const conn = await connOf(req, res);
        const summary = await s.reconcile.run(conn.id, { dryRun, trigger: 'manual' });
        res.redirect(303, runUrl(conn, summary.runId, { done: path }));
      }),
    );
  }

  org.get(
    '/directory/:id/runs/:run',
    guarded(async (req, res) => {
      const conn = await connOf(req, res);
      const run = await runOf(req, conn);
      const q = req.query as Record<string, unknown>;
      const notices: string[] = [];
      if (q.done === 'dry-run') notices.push(notice('Dry run finished: this is what a run would do now. Nothing was changed.'));
      if (q.done === 'run') notices.push(notice(`${esc(runTitle(run))} finished.`));
      if (q.done === 'approved' && /^\d+$/.test(str(q.max))) {
        const n = Number(q.max);
        notices.push(notice(`Approved the held run with at most ${n} held ${n === 1 ? 'deactivation' : 'deactivations'} released. This approval run read the directory again: ${num(run.summary, 'deactivated')} deactivated, ${num(run.summary, 'held')} still held.`));
      }
      if (q.done === 'rejected') notices.push(notice('Rejected: the held deactivations were not applied. Everyone keeps their access.'));
      await renderRun(res, conn, run, notices);
    }),
  );

  org.post(
    '/directory/:id/runs/:run/approve',
    guarded(async (req, res) => {
      const conn = await connOf(req, res);
      const held = await runOf(req, conn);
      const raw = str((req.body as Body).max);
      const max = Number(raw);
      if (!/^\d+$/.test(raw) || !Number.isSafeInteger(max)) {
        return renderRun(res, conn, held, [notice('Not approved: request.invalid: give the most people to deactivate as a whole number (0 or more).', 'error')], 400);
      }
      if (held.status !== 'held' || held.dryRun) return renderRun(res, conn, held, [notice(`Not approved: this run is ${esc(held.dryRun ? 'a dry run' : held.status)}, not held; nothing was changed.`, 'error')], 409);
      if ((req.body as Body).confirmed !== 'yes') return renderRun(res, conn, held, [], 200, max);
      const summary = await s.reconcile.approve(held.id, who(res).actor, max);
      res.redirect(303, runUrl(conn, summary.runId, { done: 'approved', max: String(max) }));
    }),
  );

  org.post(
    '/directory/:id/runs/:run/reject',
    guarded(async (req, res) => {
      const conn = await connOf(req, res);
      const held = await runOf(req, conn);
      if (held.status !== 'held' || held.dryRun) return renderRun(res, conn, held, [notice(`Not rejected: this run is ${esc(held.dryRun ? 'a dry run' : held.status)}, not held; nothing was changed.`, 'error')], 409);
      await s.reconcile.reject(held.id, who(res).actor);
      res.redirect(303, runUrl(conn, held.id, { done: 'rejected' }));
    }),
  );
}
