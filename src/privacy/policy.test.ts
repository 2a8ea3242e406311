import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_TABLE } from '../../test/support/privacy.js';
import { PolicyError, loadPolicy, parsePolicy } from './policy.js';

const shipped = () => JSON.parse(JSON.stringify(loadPolicy())) as Record<string, { consentRequired: boolean; classes: Record<string, string> }>;
const file = () => {
  const raw = JSON.parse(JSON.stringify(DEFAULT_POLICY_TABLE)) as Record<string, { consent?: boolean; classes: unknown }>;
  return { purposes: Object.fromEntries(Object.entries(raw).map(([purpose, rule]) => [purpose, { consentRequired: rule.consent, ownRecordOnly: purpose === 'self_service', classes: rule.classes }])) };
};

describe('the shipped policy', () => {
  it('is the default table of docs/privacy.md', () => {
    const policy = shipped();
    for (const [purpose, rule] of Object.entries(DEFAULT_POLICY_TABLE)) {
      expect({ purpose, consent: policy[purpose.toUpperCase()]!.consentRequired, classes: policy[purpose.toUpperCase()]!.classes }).toEqual({
        purpose,
        consent: rule.consent,
        classes: rule.classes,
      });
    }
  });
});

describe('a bad policy file', () => {
  type Mutation = (policy: ReturnType<typeof file>) => unknown;
  it.each<[string, Mutation, string]>([
    ['an unknown action', (p) => ((p.purposes.marketing!.classes as Record<string, string>).CONTACT = 'publish', p), 'purposes.marketing.classes.CONTACT: expected one of allow, mask, hash, deny'],
    ['a missing class', (p) => (delete (p.purposes.analytics!.classes as Record<string, string>).SENSITIVE, p), 'purposes.analytics.classes.SENSITIVE: expected one of allow, mask, hash, deny'],
    ['an unknown class', (p) => (((p.purposes.fraud!.classes as Record<string, string>).HEALTH = 'deny'), p), 'purposes.fraud.classes.HEALTH: unknown PII class'],
    ['a missing purpose', (p) => (delete p.purposes.fraud, p), 'purposes.fraud: '],
    ['an unknown purpose', (p) => ((p.purposes as Record<string, unknown>).research = p.purposes.support, p), 'purposes.research: unknown purpose'],
    ['consent that is not a boolean', (p) => ((p.purposes.marketing as Record<string, unknown>).consentRequired = 'yes', p), 'purposes.marketing.consentRequired: expected true or false'],
    ['no purposes at all', () => ({}), 'purposes: '],
  ])('with %s stops the start naming the problem', (_case, mutate, message) => {
    expect(() => parsePolicy(mutate(file()), 'test.json')).toThrow(PolicyError);
    expect(() => parsePolicy(mutate(file()), 'test.json')).toThrow(message);
  });

  it('that is not JSON stops the start naming the file', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'c360-policy-')), 'policy.json');
    writeFileSync(path, '{ "purposes": ');
    expect(() => loadPolicy(path)).toThrow(`Policy file ${path} is not readable JSON`);
  });
});
