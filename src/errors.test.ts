import { GraphQLError } from 'graphql';
import { describe, expect, it } from 'vitest';
import { piiAccessDenied, piiAccessDeniedAt } from './errors.js';

describe('piiAccessDenied', () => {
  it('is an answer with its reason and class, built without a stack trace, and leaves the stack trace limit as it was', () => {
    const before = Error.stackTraceLimit;
    const error = piiAccessDenied('CONSENT_NOT_GRANTED', 'CONTACT', 'MARKETING');
    expect({ message: error.message, extensions: error.extensions }).toEqual({
      message: 'Personal field withheld: the customer has not granted consent for MARKETING.',
      extensions: { code: 'PII_ACCESS_DENIED', reason: 'CONSENT_NOT_GRANTED', piiClass: 'CONTACT' },
    });
    expect(error.stack).not.toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('other').stack).toMatch(/\n\s+at /);
  });

  it('is one error per reason, class and purpose', () => {
    const first = piiAccessDenied('POLICY_DENIES', 'CONTACT', 'ANALYTICS');
    expect(piiAccessDenied('POLICY_DENIES', 'CONTACT', 'ANALYTICS')).toBe(first);
    expect(piiAccessDenied('POLICY_DENIES', 'CONTACT', 'MARKETING')).not.toBe(first);
    expect(piiAccessDenied('POLICY_DENIES', 'DEMOGRAPHIC', 'ANALYTICS').extensions).toEqual({ code: 'PII_ACCESS_DENIED', reason: 'POLICY_DENIES', piiClass: 'DEMOGRAPHIC' });
    expect(piiAccessDenied('POLICY_DENIES', 'CONTACT', null).message).toBe('Personal field withheld: the policy does not release CONTACT data for purpose none.');
  });
});

describe('piiAccessDeniedAt', () => {
  it('is a GraphQLError at its own path and locations, formatted as the contract says, leaving the shared error as it was', () => {
    const shared = piiAccessDenied('CONSENT_NOT_GRANTED', 'CONTACT', 'MARKETING');
    const first = piiAccessDeniedAt('CONSENT_NOT_GRANTED', 'CONTACT', 'MARKETING', ['customers', 0, 'profile', 'email'], [{ line: 3, column: 7 }]);
    const second = piiAccessDeniedAt('CONSENT_NOT_GRANTED', 'CONTACT', 'MARKETING', ['customers', 1, 'profile', 'email'], undefined);
    expect(first).toBeInstanceOf(GraphQLError);
    expect(first.toJSON()).toEqual({
      message: 'Personal field withheld: the customer has not granted consent for MARKETING.',
      locations: [{ line: 3, column: 7 }],
      path: ['customers', 0, 'profile', 'email'],
      extensions: { code: 'PII_ACCESS_DENIED', reason: 'CONSENT_NOT_GRANTED', piiClass: 'CONTACT' },
    });
    expect(JSON.parse(JSON.stringify(second))).toEqual({
      message: shared.message,
      path: ['customers', 1, 'profile', 'email'],
      extensions: { code: 'PII_ACCESS_DENIED', reason: 'CONSENT_NOT_GRANTED', piiClass: 'CONTACT' },
    });
    expect(first.stack ?? '').not.toMatch(/\n\s+at /);
    expect(shared.path).toBeUndefined();
    expect(shared.locations).toBeUndefined();
  });
});
