import { z } from 'zod';
import type { ReconcileRun } from '../../domain/model.js';
import { IdsyncError } from '../../domain/errors.js';
import type { Services } from '../../services/index.js';
import { connectionParams } from './connections.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams, page, pageQuery, runListItemSchema, runSchema, runSummarySchema } from './schemas.js';

const runParams = orgParams.extend({ run: z.string().min(1) });
const e = (description: string) => ({ description, schema: errorSchema });

/** A run of this org, or run.not_found (another org's run id is as unknown as a made-up one). */
async function runOf(s: Services, orgId: string, runId: string): Promise<ReconcileRun> {
  const run = await s.reconcile.getRun(runId);
  if (run.orgId !== orgId) throw new IdsyncError('run.not_found', `run ${runId} not found`, { runId });
  return run;
}

/** Reconcile runs (owners): run now, list, read with the plan, approve or reject a held run. */
export function runRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/connections/{id}/runs',
      tag: 'runs',
      summary: 'Runs of a connection, newest first, without their plans',
      params: connectionParams,
      query: pageQuery,
      responses: { 200: { description: 'A page of runs', schema: page(runListItemSchema) }, 404: e('Not found') },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const conn = await s.connections.get(params.id, params.org);
      const p = await s.reconcile.listRuns(conn.id, query);
      return { status: 200, body: { items: p.items.map(({ plan: _plan, ...rest }) => rest), total: p.total } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/connections/{id}/runs',
      tag: 'runs',
      summary: 'Reconcile now (dryRun: plan only, change nothing); answers with the run summary when it finishes',
      params: connectionParams,
      body: z.object({ dryRun: z.boolean().optional() }),
      responses: { 201: { description: 'The run summary (a failed run is reported here with its error)', schema: runSummarySchema }, 404: e('Not found'), 409: e('Another real run of the connection is in progress (run.in_progress, naming it); dry runs are not refused') },
    },
    async ({ params, body, req, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const conn = await s.connections.get(params.id, params.org);
      const summary = await s.reconcile.run(conn.id, { dryRun: body.dryRun ?? false, trigger: 'manual' });
      return { status: 201, body: summary, headers: { Location: `${req.baseUrl}/orgs/${params.org}/runs/${summary.runId}` } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}/runs/{run}', tag: 'runs', summary: 'A run with its summary and plan (each action with its evidence)', params: runParams, responses: { 200: { description: 'The run', schema: runSchema }, 404: e('Not found') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await runOf(s, params.org, params.run) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/runs/{run}/approve',
      tag: 'runs',
      summary: 'Approve a held run: re-plans from a fresh listing and releases up to `max` held deactivations (default all)',
      params: runParams,
      body: z.object({ max: z.number().int().min(0).optional() }),
      responses: { 200: { description: 'The summary of the approval run', schema: runSummarySchema }, 400: e('Invalid max'), 404: e('Not found'), 409: e('Not held (already decided, perhaps a moment ago elsewhere: run.not_held), a dry run (run.dry_run), or another run of the connection in progress (run.in_progress: the run stays held)') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const run = await runOf(s, params.org, params.run);
      return { status: 200, body: await s.reconcile.approve(run.id, res.locals.actor, body.max) };
    },
  );

  api.add(
    { method: 'post', path: '/orgs/{org}/runs/{run}/reject', tag: 'runs', summary: 'Reject a held run: its held deactivations are not applied', params: runParams, responses: { 200: { description: 'The rejected run', schema: runSchema }, 404: e('Not found'), 409: e('Not held (already decided, perhaps a moment ago elsewhere: run.not_held) or a dry run (run.dry_run)') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const run = await runOf(s, params.org, params.run);
      return { status: 200, body: await s.reconcile.reject(run.id, res.locals.actor) };
    },
  );
}
