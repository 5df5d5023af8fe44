import { describe, expect, it } from '@jest/globals';
import { entitlementTeamIds } from '../../src/services/role-mappings/idp-entitlements.js';

describe('entitlementTeamIds', () => {
  it('when Okta sends entitlements of several resource types, then only Entitlement and Team entries name teams (untyped ones are kept as sent), trimmed and once each', () => {
    expect(
      entitlementTeamIds([
        { value: 't1', display: 'Engineering', type: 'Entitlement' },
        { value: ' t2 ', type: 'team' },
        { value: 't3', type: 'Team' },
        { value: 'free-form' },
        { value: 't1', type: 'ENTITLEMENT' },
        { value: 'lic-1', display: 'Pro', type: 'License' },
        { value: '', type: 'Entitlement' },
        { value: 42, type: 'Entitlement' },
        null,
        'stray',
      ]),
    ).toEqual(['t1', 't2', 't3']);
  });

  it('when nothing or a single object is sent, then it reads as none or as a list of one', () => {
    expect(entitlementTeamIds(undefined)).toEqual([]);
    expect(entitlementTeamIds(null)).toEqual([]);
    expect(entitlementTeamIds({ value: 't9', type: 'Entitlement' })).toEqual(['t9']);
    expect(entitlementTeamIds([{ value: 'untyped' }])).toEqual([]);
  });
});
