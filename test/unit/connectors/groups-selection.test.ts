/**
 * The `groups` key of a connection config: each provider's form is accepted, and a bad one is
 * refused with connector.invalid_config naming the inner key (not a bare "invalid input" at groups).
 */
import { describe, expect, it } from '@jest/globals';
import { createBuiltinRegistry } from '../../../src/connectors/index.js';
import { IdsyncError } from '../../../src/domain/errors.js';
import { rsaKeys } from '../../support/connectors.js';

const keys = rsaKeys();
const registry = createBuiltinRegistry();
const base = {
  google: { adminEmail: 'admin@example.com', serviceAccountKey: { client_email: 'sa@p.iam.gserviceaccount.com', private_key: keys.pkcs8 } },
  microsoft: { tenantId: '11111111-2222-4333-8444-555555555555', clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', clientSecret: 's' },
  github: { org: 'acme', token: 'ghp_x' },
};
const guid = (i: number) => `a0000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

function refusal(provider: keyof typeof base, groups: unknown): { code: string; message: string } {
  try {
    registry.get(provider).parseConfig({ ...base[provider], groups });
  } catch (err) {
    if (err instanceof IdsyncError) return { code: err.code, message: err.message };
    throw err;
  }
  return { code: 'ok', message: '' };
}

describe('connection config: groups selection', () => {
  it.each([
    ['google', 'all'],
    ['google', { emails: ['Eng@Example.com'] }],
    ['google', { query: 'email:eng*' }],
    ['microsoft', 'all'],
    ['microsoft', { ids: [guid(1), guid(2)] }],
    ['microsoft', { filter: "startswith(displayName,'Eng')" }],
    ['github', 'all'],
    ['github', { slugs: ['platform', 'sec-team'] }],
  ] as const)('when %s groups are %j, then the config is accepted and shown in the redacted settings', (provider, groups) => {
    expect(refusal(provider, groups).code).toBe('ok');
    expect(registry.get(provider).parseConfig({ ...base[provider], groups }).redacted.groups).toBeDefined();
  });

  it.each([
    ['google', 'google.groups: must be "all"', 'some'],
    ['google', 'google.groups.emails.0: must be a group email address', { emails: ['not-an-email'] }],
    ['google', 'google.groups.emails: give exactly one of emails or query', { emails: ['a@x.com'], query: 'email:a*' }],
    ['google', 'google.groups.emails: must name at least one group', { emails: [] }],
    ['microsoft', 'microsoft.groups.ids.0: must be a group object id GUID', { ids: ['eng'] }],
    ['microsoft', 'microsoft.groups.ids: at most 50 ids', { ids: Array.from({ length: 51 }, (_, i) => guid(i)) }],
    ['microsoft', 'microsoft.groups', { slugs: ['x'] }],
    ['github', 'github.groups.slugs: must not name a group twice', { slugs: ['platform', 'Platform'] }],
    ['github', 'github.groups.slugs.0: must be a team slug', { slugs: ['bad slug'] }],
  ] as const)('when %s groups are wrong, then connector.invalid_config says "%s"', (provider, text, groups) => {
    const r = refusal(provider, groups);
    expect(r.code).toBe('connector.invalid_config');
    expect(r.message).toContain(text);
  });
});
