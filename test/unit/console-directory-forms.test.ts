import { describe, expect, it } from '@jest/globals';
import { fieldOfIssue, formToConfig, PROVIDER_FORMS } from '../../src/http/console/directory/fields.js';
import { formToPolicy } from '../../src/http/console/directory/policy-form.js';
import { BUILTIN_CONNECTORS } from '../../src/connectors/index.js';

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
