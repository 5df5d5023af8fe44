import { describe, expect, it } from '@jest/globals';
import { createBuiltinRegistry } from '../../../src/connectors/index.js';
import { isIdsyncError } from '../../../src/domain/errors.js';
import { rsaKeys } from '../../support/connectors.js';

const registry = createBuiltinRegistry();
const keys = rsaKeys();
const sak = { type: 'service_account', client_email: 'sa@p.iam.gserviceaccount.com', private_key: keys.pkcs8 };

function problems(provider: string, input: unknown): string {
  try {
    registry.get(provider).parseConfig(input);
  } catch (err) {
    if (isIdsyncError(err, 'connector.invalid_config')) return err.message;
    throw err;
  }
  throw new Error('expected connector.invalid_config');
}

describe('connection configs', () => {
  it('when a google config is minimal, then customer defaults to my_customer and the URLs to Google; redacted output has no key', () => {
    const parsed = registry.get('google').parseConfig({ adminEmail: 'a@example.com', serviceAccountKey: JSON.stringify(sak) });
    expect(parsed.redacted).toEqual({ customer: 'my_customer', adminEmail: 'a@example.com', serviceAccount: sak.client_email, apiBaseUrl: 'https://admin.googleapis.com', tokenUrl: 'https://oauth2.googleapis.com/token' });
    expect(JSON.stringify(parsed)).not.toContain('PRIVATE KEY');
  });

  it('when a google config is wrong in several places, then every problem is reported with its key and no value is echoed', () => {
    const msg = problems('google', { customer: 'C01', domain: 'x.com', adminEmail: 'nope', serviceAccountKey: '{"private_key": "s3cr3t"', apiBaseUrl: 'http://admin.example.com', tenantId: 'x' });
    expect(msg).toContain('google.adminEmail:');
    expect(msg).toContain('google.serviceAccountKey: must be the JSON key file content');
    expect(msg).toContain('google.apiBaseUrl: must use https (http is accepted only for loopback hosts)');
    expect(msg).toContain('Unrecognized key: "tenantId"');
    expect(msg).not.toContain('s3cr3t');
    expect(problems('google', { customer: 'C01', domain: 'x.com', adminEmail: 'a@x.com', serviceAccountKey: sak })).toContain('google.domain: give customer or domain, not both');
  });

  it('when base URLs use http, then only loopback hosts are accepted', () => {
    const ok = (url: string) => registry.get('github').parseConfig({ org: 'acme', token: 't', apiBaseUrl: url });
    expect(ok('http://127.0.0.1:8080/').redacted).toMatchObject({ apiBaseUrl: 'http://127.0.0.1:8080', graphqlUrl: 'http://127.0.0.1:8080/graphql' });
    expect(ok('http://localhost:1').redacted).toMatchObject({ apiBaseUrl: 'http://localhost:1' });
    expect(ok('http://[::1]:3000').redacted).toMatchObject({ apiBaseUrl: 'http://[::1]:3000' });
    expect(problems('github', { org: 'acme', token: 't', apiBaseUrl: 'http://ghe.internal/api/v3' })).toContain('github.apiBaseUrl: must use https');
    expect(problems('github', { org: 'acme', token: 't', apiBaseUrl: 'https://user:pw@ghe.example' })).toContain('must not carry credentials');
  });

  it('when a microsoft config gives both or neither credential, or a bad thumbprint, then the keys are named', () => {
    const base = { tenantId: 'contoso.onmicrosoft.com', clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' };
    expect(problems('microsoft', base)).toContain('microsoft.clientSecret: give exactly one of clientSecret or certificate');
    expect(problems('microsoft', { ...base, clientSecret: 's', certificate: { privateKey: keys.pkcs8, thumbprint: 'ab' } })).toContain('microsoft.certificate.thumbprint: must be the certificate thumbprint');
    expect(problems('microsoft', { ...base, clientId: 'app', clientSecret: 's' })).toContain('microsoft.clientId: must be the application (client) id GUID');
    const parsed = registry.get('microsoft').parseConfig({ ...base, clientSecret: 'very-secret' });
    expect(parsed.redacted).toEqual({ ...base, credential: 'clientSecret', graphBaseUrl: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com' });
    expect(JSON.stringify(parsed)).not.toContain('very-secret');
  });

  it('when a github config mixes or half-gives credentials, then the missing or extra keys are named; GHES derives its GraphQL URL', () => {
    expect(problems('github', { org: 'acme', appId: 1 })).toMatch(/github\.installationId: required with a GitHub App.*github\.privateKey: required/);
    expect(problems('github', { org: 'acme', token: 't', appId: 1 })).toContain('github.token: give either token or appId + installationId + privateKey, not both');
    expect(problems('github', { org: 'acme' })).toContain('github.appId: required unless token is given');
    const ghes = registry.get('github').parseConfig({ org: 'acme', appId: 1, installationId: '2', privateKey: keys.pkcs1, apiBaseUrl: 'https://ghe.example/api/v3' });
    expect(ghes.redacted).toMatchObject({ graphqlUrl: 'https://ghe.example/api/graphql', credential: { appId: '1', installationId: '2' } });
  });

  it('when an unknown provider is asked for, then the registry says which exist', () => {
    expect(() => registry.get('okta')).toThrow(/provider: unknown provider "okta" \(known: google, microsoft, github\)/);
    expect(registry.providers).toEqual(['google', 'microsoft', 'github']);
    expect(registry.providers.map((p) => registry.get(p).secretKeys)).toEqual([['serviceAccountKey'], ['clientSecret', 'certificate'], ['privateKey', 'token', 'webhookSecret']]);
  });
});
