import { describe, expect, it } from 'vitest';
import type { CustomerRecord, IdentityKey } from '../domain/index.js';
import { configFrom, ConfigError } from '../config.js';
import { planCommit } from './mergeEngine.js';
import { DEFAULT_IDENTITY_POLICY } from './identityRules.js';
import { customerRecord } from '../../test/support/records.js';

const NOW = new Date('2026-11-15T12:00:00.000Z');
const identity = (type: IdentityKey['type'], value: string) => ({ type, value, source: 't', firstSeenAt: '2026-11-01T00:00:00.000Z', lastSeenAt: '2026-11-01T00:00:00.000Z' });
const customer = (id: string, identities: ReturnType<typeof identity>[], extra: Partial<CustomerRecord> = {}): CustomerRecord =>
  customerRecord(id, { identities, traits: { orderCount: 1, lifetimeValue: 10 }, version: 3, ...extra });
const link = (type: IdentityKey['type'], value: string) => ({ key: { type, value }, identity: identity(type, value) });

describe('planCommit', () => {
  it('absorbs customers and links identifiers while limits hold, refusing the rest', () => {
    const policy = { ...DEFAULT_IDENTITY_POLICY, limits: { ...DEFAULT_IDENTITY_POLICY.limits, EMAIL: 2 } };
    const survivor = customer('S', [identity('EMAIL', 's@x.com')]);
    const fits = customer('A', [identity('ANONYMOUS_ID', 'a1')], { traits: { orderCount: 2, lifetimeValue: 5.5 } });
    const tooMany = customer('B', [identity('EMAIL', 'b1@x.com'), identity('EMAIL', 'b2@x.com')]);
    const plan = planCommit(policy, [], NOW, survivor, [fits, tooMany], [link('EMAIL', 'n@x.com'), link('EMAIL', 'm@x.com')], { firstName: 'Sam' });
    expect(plan.accepted.map((c) => c.id)).toEqual(['A']);
    expect(plan.refused).toEqual([{ customer: tooMany, type: 'EMAIL' }]);
    expect(plan.linked.map((l) => l.key.value)).toEqual(['n@x.com']);
    expect(plan.rejectedLinks.map((r) => [r.link.key.value, r.type])).toEqual([['m@x.com', 'EMAIL']]);
    expect(plan.record).toMatchObject({
      id: 'S',
      aliases: ['A'],
      identities: [identity('EMAIL', 's@x.com'), identity('ANONYMOUS_ID', 'a1'), identity('EMAIL', 'n@x.com')],
      traits: { orderCount: 3, lifetimeValue: 15.5 },
      profile: { firstName: 'Sam' },
      updatedAt: NOW.toISOString(),
    });
  });

  it('is idempotent for a customer the survivor already absorbed', () => {
    const survivor = customer('S', [identity('EMAIL', 's@x.com'), identity('ANONYMOUS_ID', 'a1')], { aliases: ['A'] });
    const plan = planCommit(DEFAULT_IDENTITY_POLICY, [], NOW, survivor, [customer('A', [identity('ANONYMOUS_ID', 'a1')])], []);
    expect({ accepted: plan.accepted.map((c) => c.id), traits: plan.record.traits, identities: plan.record.identities.length }).toEqual({
      accepted: ['A'],
      traits: survivor.traits,
      identities: 2,
    });
  });
});

describe('identity resolution configuration', () => {
  it('takes a priority order (the rest follow in the default order) and per-type limits', () => {
    const config = configFrom({ C360_IDENTITY_PRIORITY: 'EMAIL, USER_ID', C360_IDENTITY_LIMITS: 'EMAIL=2,DEVICE_ID=50' });
    expect(config.identity).toEqual({
      priority: ['EMAIL', 'USER_ID', 'CRM_ID', 'LOYALTY_ID', 'PHONE', 'DEVICE_ID', 'ANONYMOUS_ID'],
      limits: { ...DEFAULT_IDENTITY_POLICY.limits, EMAIL: 2, DEVICE_ID: 50 },
      blocked: DEFAULT_IDENTITY_POLICY.blocked,
    });
    expect(configFrom({}).identity).toEqual(DEFAULT_IDENTITY_POLICY);
  });

  it('takes a blocklist of values and /patterns/ that replaces the default one', () => {
    const { blocked } = configFrom({ C360_IDENTITY_BLOCKLIST: 'Unknown-User, /^x+$/ ,' }).identity;
    expect(blocked).toEqual({ values: ['unknown-user'], patterns: [/^x+$/i] });
    expect(configFrom({ C360_IDENTITY_BLOCKLIST: '' }).identity.blocked).toEqual({ values: [], patterns: [] });
  });

  const rows: Array<[Record<string, string>, string]> = [
    [{ C360_IDENTITY_BLOCKLIST: '/([/' }, 'C360_IDENTITY_BLOCKLIST: a /pattern/ is not a valid regular expression'],
    [{ C360_IDENTITY_PRIORITY: 'EMAIL,EMAIL' }, 'C360_IDENTITY_PRIORITY: an identity type is listed twice'],
    [{ C360_IDENTITY_PRIORITY: 'EMAIL,SSN' }, 'C360_IDENTITY_PRIORITY: expected identity types among'],
    [{ C360_IDENTITY_LIMITS: 'EMAIL=0' }, 'C360_IDENTITY_LIMITS: a limit is at least 1'],
    [{ C360_IDENTITY_LIMITS: 'EMAIL' }, 'C360_IDENTITY_LIMITS'],
    [{ C360_RESOLUTION_ADAPTER: 'aws-entity-resolution' }, 'C360_AWS_ER_WORKFLOW: required by C360_RESOLUTION_ADAPTER=aws-entity-resolution'],
  ];
  it.each(rows)('refuses %j', (env, message) => {
    expect(() => configFrom(env)).toThrow(ConfigError);
    expect(() => configFrom(env)).toThrow(message);
  });
});
