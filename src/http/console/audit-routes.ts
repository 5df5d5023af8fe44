import type { Request, Response, Router } from 'express';
import { parseAnchor } from '../../domain/audit-anchor.js';
import { IdsyncError } from '../../domain/errors.js';
import type { AuditTrailQuery } from '../../services/console/audit-trail.js';
import type { Services } from '../../services/index.js';
import { field, view } from './act.js';
import { ACTOR_KINDS, auditPage, type AuditFilters } from './audit-page.js';
import { esc, notice, type Chrome } from './layout.js';
import type { Fail } from './router.js';

interface Deps {
  services: Services;
  chrome: (res: Response) => Promise<Chrome>;
  fail: Fail;
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Reads the filters as typed; a date that is not one is a precise refusal, shown on the page. */
export function auditQuery(f: AuditFilters, before: string): AuditTrailQuery {
  const date = (name: 'from' | 'to', v: string, end: boolean): Date | undefined => {
    if (!v) return undefined;
    const t = DAY.test(v) ? Date.parse(`${v}T${end ? '23:59:59.999' : '00:00:00.000'}Z`) : Number.NaN;
    if (Number.isNaN(t)) throw new IdsyncError('request.invalid', `${name === 'from' ? 'From' : 'To'} must be a date such as 2026-03-01`, { field: name });
    return new Date(t);
  };
  const from = date('from', f.from, false);
  const to = date('to', f.to, true);
  if (from && to && from > to) throw new IdsyncError('request.invalid', 'From must not be after To', { field: 'from' });
  if (f.actor && !ACTOR_KINDS.includes(f.actor as never)) throw new IdsyncError('request.invalid', `no such actor kind: ${f.actor}`, { field: 'actor' });
  if (f.action.length > 200) throw new IdsyncError('request.invalid', 'the action filter is longer than 200 characters', { field: 'action' });
  const b = /^\d{1,15}$/.test(before) ? Number(before) : undefined;
  return { ...(f.action ? { action: f.action } : {}), ...(f.actor ? { actor: f.actor } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}), ...(b ? { before: b } : {}) };
}

/** The audit page (any session intent; org admins, like the admin API's /audit): filters, paging, and Verify chain. */
export function auditRoutes(org: Router, d: Deps): void {
  const s = d.services;

  const render = async (req: Request, res: Response, notices: string[], status = 200, anchor?: { typed: string; error: string }) => {
    const c = await d.chrome(res);
    const { principal } = res.locals.signIn;
    const q = req.method === 'GET' ? (req.query as Record<string, unknown>) : {};
    const filters: AuditFilters = { action: field(q.action), actor: field(q.actor), from: field(q.from), to: field(q.to) };
    let query: AuditTrailQuery;
    const shown = [...notices];
    try {
      query = auditQuery(filters, field(q.before));
    } catch (err) {
      if (!(err instanceof IdsyncError)) throw err;
      shown.push(notice(`Filters not applied: ${esc(err.message)}`, 'error'));
      query = {};
      status = 400;
    }
    const page = await s.auditTrail.page(principal, c.orgId, query);
    const verification = await s.auditVerifications.latest(principal, c.orgId);
    const href = (extra: Record<string, string>) => {
      const u = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...filters, ...extra })) if (v) u.set(k, v);
      const text = u.toString();
      return `/console/orgs/${encodeURIComponent(c.orgId)}/audit${text ? `?${text}` : ''}`;
    };
    // Server time from the session check to the rendered page (bench/console-audit.mjs reads it).
    const ms = Number(process.hrtime.bigint() - res.locals.consoleStart) / 1e6;
    res.setHeader('Server-Timing', `page;dur=${ms.toFixed(3)}`);
    res.status(status).type('html').send(
      auditPage({
        chrome: c,
        notices: shown,
        filters,
        items: page.items,
        total: page.total,
        scanned: page.scanned,
        ...(page.next ? { olderHref: href({ before: String(page.next) }) } : {}),
        ...(query.before ? { newestHref: href({}) } : {}),
        ...(verification ? { verification } : {}),
        ...(page.head ? { head: page.head } : {}),
        ...(anchor ? { anchor: anchor.typed, anchorError: anchor.error } : {}),
      }),
    );
  };

  org.get('/audit', view(render, d.fail));
  // Starts a background run (or finds the one going) and shows the page, which follows its progress.
  // Post/redirect/get: the page reloads itself while the run goes, and a reload must not post again.
  // A refused anchor shows the page again with the reason and the anchor as typed (400).
  org.post('/audit/verify', async (req, res) => {
    try {
      const { principal, session } = res.locals.signIn;
      const typed = field((req.body as Record<string, unknown> | undefined)?.anchor).trim();
      let anchor;
      try {
        anchor = typed ? parseAnchor(typed) : undefined;
      } catch (err) {
        if (!(err instanceof IdsyncError)) throw err;
        await render(req, res, [notice('Not verified: the anchor was refused (see the field).', 'error')], 400, { typed, error: err.message });
        return;
      }
      await s.auditVerifications.start(principal, session.orgId, anchor);
      res.redirect(303, `/console/orgs/${encodeURIComponent(session.orgId)}/audit`);
    } catch (err) {
      d.fail(res, err);
    }
  });
}

