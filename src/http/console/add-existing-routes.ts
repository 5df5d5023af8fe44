import type { Request, Response, Router } from 'express';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import { ROLES, type Role } from '../../domain/model.js';
import { rankOf } from '../../services/authz.js';
import { displayNameOf } from '../../services/console/members.js';
import type { Services } from '../../services/index.js';
import { collect } from '../../ports/paging.js';
import { addExistingPage } from './add-existing-page.js';
import { esc, notice, type Chrome } from './layout.js';
import type { Fail } from './router.js';

interface Deps {
  services: Services;
  chrome: (res: Response) => Promise<Chrome>;
  fail: Fail;
  /** The members page with these notices (where a successful add lands). */
  members: (req: Request, res: Response, notices: string[]) => Promise<void>;
}

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/** GET searches (the query in the address, so a reload repeats it); POST adds the person picked and lands on the members page. */
export function addExistingRoutes(org: Router, d: Deps): void {
  const s = d.services;

  const render = async (res: Response, q: string, from: string, notices: string[], status = 200) => {
    const c = await d.chrome(res);
    const { signIn } = res.locals;
    const sources = await s.consoleAddExisting.sources(signIn, c.orgId);
    const teams = await collect((page) => s.teams.list(c.orgId, page));
    const rank = rankOf(signIn.principal, c.orgId);
    const result = q ? await s.consoleAddExisting.search(signIn, c.orgId, { q, ...(from ? { fromOrg: from } : {}) }) : undefined;
    res
      .status(status)
      .type('html')
      .send(addExistingPage({ chrome: c, sources, query: { q, from }, ...(result ? { result } : {}), teams, assignable: ROLES.filter((r) => RANK[r] <= rank), notices }));
  };

  /** A refusal the person can act on comes back on this page, the search kept; anything else is the problem page. */
  const refused = async (res: Response, q: string, from: string, err: unknown) => {
    if (!isIdsyncError(err) || err.status >= 500 || err.code.startsWith('console.')) return d.fail(res, err);
    try {
      // The search that failed is not run again (a too-short search would fail the same way).
      const problems = (err.details?.problems ?? []) as { field?: string }[];
      const again = problems.some((p) => p.field === 'q') ? '' : q;
      await render(res, again, from, [notice(`Not done: ${esc(err.message)}`, 'error')], err.status);
    } catch (e) {
      d.fail(res, e);
    }
  };

  org.get('/members/add-existing', async (req, res) => {
    const q = str(req.query.q);
    const from = str(req.query.from);
    try {
      await render(res, q, from, []);
    } catch (err) {
      await refused(res, q, from, err);
    }
  });

  org.post('/members/add-existing', async (req, res) => {
    const q = str(req.body.q);
    const from = str(req.body.from);
    try {
      const pick = str(req.body.pick);
      const slash = pick.indexOf('/');
      if (slash <= 0) throw new IdsyncError('request.invalid', 'choose the person to add', { problems: [{ field: 'pick', message: 'required' }] });
      const role = (str(req.body.role) || 'member') as Role;
      if (!ROLES.includes(role)) throw new IdsyncError('request.invalid', 'choose a role');
      const { member, from: source } = await s.consoleAddExisting.add(res.locals.signIn, res.locals.signIn.session.orgId, {
        fromOrg: pick.slice(0, slash),
        memberId: pick.slice(slash + 1),
        role,
        teamIds: list(req.body.teamIds),
      });
      await d.members(req, res, [notice(`Added ${esc(displayNameOf(member))} from ${esc(source.name)} as ${esc(member.role)}. They sign in here with the same account.`)]);
    } catch (err) {
      await refused(res, q, from, err);
    }
  });
}
