import { describe, expect, it } from '@jest/globals';
import { fieldOfIssue, formToConfig, PROVIDER_FORMS } from '../../src/http/console/directory/fields.js';
import { formToPolicy } from '../../src/http/console/directory/policy-form.js';
import { BUILTIN_CONNECTORS } from '../../src/connectors/index.js';
import type { ReconcileRun } from '../../src/domain/model.js';
import { PLAN_ROWS, runPage } from '../../src/http/console/directory/run-page.js';

describe('the console directory forms', () => {
  it('when a form is created, then blank fields are left out and the certificate fields nest under certificate', () => {
    const body = { tenantId: ' t.example.com ', clientId: 'c', clientSecret: '', 'certificate.privateKey': 'PEM', 'certificate.thumbprint': 'AB:CD', groupId: '', graphBaseUrl: '' };
    expect(formToConfig('microsoft', body, false)).toEqual({ tenantId: 't.example.com', clientId: 'c', certificate: { privateKey: 'PEM', thumbprint: 'AB:CD' } });
  });

  it('when a stored connection is edited, then a blank secret is kept, a blank setting is cleared, and a new secret drops the one it replaces', () => {
    const secretKept = formToConfig('microsoft', { tenantId: 't', clientId: 'c', clientSecret: '', groupId: '' }, true);
    expect(Object.keys(secretKept)).not.toContain('clientSecret');
    expect(Object.keys(secretKept)).not.toContain('certificate');
    expect(secretKept).toMatchObject({ tenantId: 't', clientId: 'c', groupId: undefined });
    expect('groupId' in secretKept).toBe(true);

    const toCertificate = formToConfig('microsoft', { tenantId: 't', clientId: 'c', 'certificate.privateKey': 'PEM', 'certificate.thumbprint': 'ab' }, true);
    expect('clientSecret' in toCertificate && toCertificate.clientSecret === undefined).toBe(true);
    const toToken = formToConfig('github', { org: 'acme', token: 'ghp_x', appId: '', installationId: '' }, true);
    expect(toToken).toEqual({ org: 'acme', token: 'ghp_x', appId: undefined, installationId: undefined, privateKey: undefined, apiBaseUrl: undefined, graphqlUrl: undefined });
  });

  it('when a provider form is rendered, then its secret fields are exactly the connector\u2019s secret keys and every field has help', () => {
    for (const f of BUILTIN_CONNECTORS) {
      const form = PROVIDER_FORMS[f.provider];
      const secretKeys = new Set(form.fields.filter((x) => x.secret).map((x) => x.name.split('.')[0]));
      expect([...secretKeys].sort()).toEqual([...f.secretKeys].sort());
      for (const x of form.fields) expect(x.help.length).toBeGreaterThan(20);
    }
    expect(fieldOfIssue('microsoft', 'microsoft.certificate.thumbprint')).toBe('certificate.thumbprint');
  });

  it('when the policy form is sent, then unticked switches are off, lists split on spaces, commas and lines, and blank numbers keep the current value', () => {
    expect(formToPolicy({ schedule: ' 0 * * * * ', domains: 'a.example, b.example', exempt: 'x@a.example\r\ny@a.example', maxDeactivations: '3', maxDeactivationPercent: '', autoInvite: 'on', reactivate: 'never' })).toEqual({
      schedule: '0 * * * *',
      policy: { domains: ['a.example', 'b.example'], exempt: ['x@a.example', 'y@a.example'], maxDeactivations: 3, matchByEmail: false, deactivateSuspended: false, deactivateMissing: false, autoInvite: true, inviteLink: false, reactivate: 'never' },
    });
    expect(formToPolicy({ maxDeactivations: 'ten' }).policy.maxDeactivations).toBeNaN();
  });
});

describe('the run page', () => {
  const chrome = { orgId: 'o1', orgName: 'Org', intent: 'directory' as const, csrf: 'c' };
  const link = (i: number) => ({ kind: 'link', memberId: `m${i}`, directoryId: `d${i}`, reason: 'matched by email', evidence: { kind: 'link', by: 'email', directoryId: `d${i}` }, outcome: { status: 'planned' } });
  const run = (plan: unknown[], status: ReconcileRun['status'], dryRun: boolean): ReconcileRun => ({ id: 'r1', orgId: 'o1', connectionId: 'c1', dryRun, status, trigger: 'manual', startedAt: '2026-12-04T10:00:00.000Z', summary: {}, plan, updatedAt: '2026-12-04T10:00:00.000Z', version: 1 });

  it('when a plan is longer than the page shows, then it shows the first rows and says where the whole plan is', () => {
    const html = runPage({ chrome, provider: 'microsoft', connectionName: 'Entra', run: run(Array.from({ length: PLAN_ROWS + 1 }, (_, i) => link(i)), 'completed', true), members: new Map(), notices: [] });
    expect(html).toContain(`The first ${PLAN_ROWS} of ${PLAN_ROWS + 1} actions`);
    expect(html.match(/<tr role="row" aria-label="Link /g)).toHaveLength(PLAN_ROWS);
  });

  it('when a dry run was held, then the page offers no approval (approving re-runs for real)', () => {
    const held = { kind: 'deactivate', memberId: 'm1', directoryId: 'd1', reason: 'deleted', evidence: { kind: 'deleted', directoryId: 'd1', match: 'identity', confirmedByLookup: true }, heldBy: 'deactivation_budget', outcome: { status: 'held', by: 'deactivation_budget' } };
    expect(runPage({ chrome, provider: 'microsoft', connectionName: 'Entra', run: run([held], 'held', true), members: new Map(), notices: [] })).not.toContain('>Approve<');
    expect(runPage({ chrome, provider: 'microsoft', connectionName: 'Entra', run: run([held], 'held', false), members: new Map(), notices: [] })).toContain('>Approve<');
  });
});
