import { describe, expect, it } from 'vitest';
import { piiAccessDenied } from './errors.js';

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
