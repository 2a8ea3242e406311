import { describe, expect, it } from 'vitest';
import type { Purpose } from '../domain/index.js';
import { PII_CLASSES } from '../domain/index.js';
import { loadPolicy } from './policy.js';
import { ownerFactsOf, releaseDecision } from './releaseDecision.js';
import { deepFreeze } from '../../connectors/shared/trustedRecords.js';
import { newCustomerRecord } from '../identity/identify.js';
import type { CustomerRecord } from '../domain/index.js';
import type { OwnerFacts } from './releaseDecision.js';

const policy = loadPolicy();
const owner = (consents: Array<[Purpose, 'GRANTED' | 'DENIED']>, ids = ['cus_1']): OwnerFacts => ({ consents: new Map(consents), ids: new Set(ids) });
const everyConsent = owner([['MARKETING', 'GRANTED'], ['PERSONALIZATION', 'GRANTED'], ['ANALYTICS', 'GRANTED']]);

describe('releaseDecision', () => {
  it('withholds SENSITIVE data for every purpose but one’s own record (no field carries it yet, so only here)', () => {
    const decisions = (['SUPPORT', 'FRAUD', 'MARKETING', 'PERSONALIZATION', 'ANALYTICS', 'SELF_SERVICE'] as const).map((purpose) => [
      purpose,
      releaseDecision({ policy, purpose, piiClass: 'SENSITIVE', callerCustomerId: purpose === 'SELF_SERVICE' ? 'cus_1' : undefined, owner: everyConsent }),
    ]);
    expect(Object.fromEntries(decisions)).toEqual({
      SUPPORT: { action: 'deny', reason: 'POLICY_DENIES' },
      FRAUD: { action: 'deny', reason: 'POLICY_DENIES' },
      MARKETING: { action: 'deny', reason: 'POLICY_DENIES' },
      PERSONALIZATION: { action: 'deny', reason: 'POLICY_DENIES' },
      ANALYTICS: { action: 'deny', reason: 'POLICY_DENIES' },
      SELF_SERVICE: { action: 'allow' },
    });
  });

  it.each([
    ['no purpose comes first', { purpose: null, piiClass: 'CONTACT', owner: everyConsent }, { action: 'deny', reason: 'PURPOSE_REQUIRED' }],
    ['another customer’s record for self_service', { purpose: 'SELF_SERVICE', piiClass: 'CONTACT', callerCustomerId: 'cus_2', owner: everyConsent }, { action: 'deny', reason: 'NOT_OWN_RECORD' }],
    ['self_service without a signed-in customer', { purpose: 'SELF_SERVICE', piiClass: 'CONTACT', owner: everyConsent }, { action: 'deny', reason: 'NOT_OWN_RECORD' }],
    ['self_service for an id the customer absorbed in a merge', { purpose: 'SELF_SERVICE', piiClass: 'CONTACT', callerCustomerId: 'cus_old', owner: owner([], ['cus_1', 'cus_old']) }, { action: 'allow' }],
    ['the policy before consent', { purpose: 'MARKETING', piiClass: 'FINANCIAL', owner: owner([]) }, { action: 'deny', reason: 'POLICY_DENIES' }],
    ['a denied consent', { purpose: 'MARKETING', piiClass: 'CONTACT', owner: owner([['MARKETING', 'DENIED']]) }, { action: 'deny', reason: 'CONSENT_NOT_GRANTED' }],
    ['a consent never given', { purpose: 'ANALYTICS', piiClass: 'CONTACT', owner: owner([['MARKETING', 'GRANTED']]) }, { action: 'deny', reason: 'CONSENT_NOT_GRANTED' }],
    ['an owner that could not be read', { purpose: 'ANALYTICS', piiClass: 'CONTACT', owner: undefined }, { action: 'deny', reason: 'CONSENT_NOT_GRANTED' }],
    ['no consent needed for support', { purpose: 'SUPPORT', piiClass: 'CONTACT', owner: undefined }, { action: 'allow' }],
    ['mask', { purpose: 'PERSONALIZATION', piiClass: 'CONTACT', owner: everyConsent }, { action: 'mask', reason: 'POLICY_MASKS' }],
    ['hash', { purpose: 'ANALYTICS', piiClass: 'IDENTIFIER', owner: everyConsent }, { action: 'hash', reason: 'POLICY_HASHES' }],
  ] as const)('%s', (_case, input, expected) => {
    expect(releaseDecision({ policy, callerCustomerId: undefined, ...input })).toEqual(expected);
  });

  it('decides every class for every purpose', () => {
    for (const purpose of Object.keys(policy) as Purpose[]) {
      for (const piiClass of PII_CLASSES) {
        expect(releaseDecision({ policy, purpose, piiClass, callerCustomerId: 'cus_1', owner: everyConsent }).action).toMatch(/^(allow|mask|hash|deny)$/);
      }
    }
  });
});

describe('ownerFactsOf', () => {
  const record = (statuses: Array<['MARKETING' | 'ANALYTICS', 'GRANTED' | 'DENIED', string]>): CustomerRecord => ({
    ...newCustomerRecord('cus_1', new Date('2026-01-01T00:00:00Z'), []),
    aliases: ['cus_0'],
    consents: statuses.map(([purpose, status, updatedAt]) => ({ purpose, status, channel: null, updatedAt, source: 'test' })),
  });

  it('takes the latest decision per purpose, and the ids the customer absorbed', () => {
    const facts = ownerFactsOf(record([['MARKETING', 'DENIED', '2026-02-01T00:00:00Z'], ['MARKETING', 'GRANTED', '2026-01-01T00:00:00Z'], ['ANALYTICS', 'GRANTED', '2026-01-05T00:00:00Z']]));
    expect([...facts.consents]).toEqual(expect.arrayContaining([['MARKETING', 'DENIED'], ['ANALYTICS', 'GRANTED']]));
    expect([...facts.ids]).toEqual(['cus_1', 'cus_0']);
  });

  it('works out a frozen record’s facts once (a trusted store hands it out until a write replaces it), and any other record’s afresh', () => {
    const frozen = deepFreeze(record([['MARKETING', 'GRANTED', '2026-01-01T00:00:00Z']]));
    expect(ownerFactsOf(frozen)).toBe(ownerFactsOf(frozen));
    // A record that can still change (one parsed per read) is never answered from a kept result.
    const open = record([['MARKETING', 'GRANTED', '2026-01-01T00:00:00Z']]) as { consents: CustomerRecord['consents'] };
    expect(ownerFactsOf(open as CustomerRecord).consents.get('MARKETING')).toBe('GRANTED');
    open.consents = [{ purpose: 'MARKETING', status: 'DENIED', channel: null, updatedAt: '2026-03-01T00:00:00Z', source: 'test' }];
    expect(ownerFactsOf(open as CustomerRecord).consents.get('MARKETING')).toBe('DENIED');
  });
});
