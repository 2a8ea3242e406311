import { describe, expect, it } from 'vitest';
import { encodeFieldDecisions, decodeFieldDecisions, inflateFieldDecisions } from './auditFields.js';
import type { FieldDecisionRecord } from '../../src/domain/index.js';

const roundTrip = (fields: FieldDecisionRecord[]) => decodeFieldDecisions(inflateFieldDecisions(encodeFieldDecisions(fields)));

describe('audit field decisions, stored compactly', () => {
  it('gives back every decision, sorted by path with list indices in numeric order', () => {
    const fields: FieldDecisionRecord[] = [
      { path: 'customer.consents.10.status', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.consents.2.status', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'mask', reason: 'policy' },
      { path: 'customers.0.events.edges.3.node.type', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null, customerId: 'cus_1' },
      { path: 'customers.1.events.edges.0.node.type', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null, customerId: 'cus_2' },
      { path: 'customer.consents.3.status', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.consents', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.profile.phone', piiClass: 'CONTACT', decision: 'deny', reason: 'NO_CONSENT' },
    ];
    expect(roundTrip(fields)).toEqual([
      { path: 'customer.consents', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.consents.2.status', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.consents.3.status', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.consents.10.status', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null },
      { path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'mask', reason: 'policy' },
      { path: 'customer.profile.phone', piiClass: 'CONTACT', decision: 'deny', reason: 'NO_CONSENT' },
      { path: 'customers.0.events.edges.3.node.type', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null, customerId: 'cus_1' },
      { path: 'customers.1.events.edges.0.node.type', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null, customerId: 'cus_2' },
    ]);
  });

  it('encodes a frozen list (shared by the requests of one plan) once, and a list that can still change every time', () => {
    const shared = Object.freeze([
      { path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null },
      { path: 'customer.identities.0.value', piiClass: 'IDENTIFIER', decision: 'hash', reason: 'POLICY_HASHES' },
    ] satisfies FieldDecisionRecord[]);
    const once = encodeFieldDecisions(shared);
    expect(encodeFieldDecisions(shared)).toBe(once);
    expect(decodeFieldDecisions(inflateFieldDecisions(once))).toEqual([shared[1], shared[0]]);
    const open: FieldDecisionRecord[] = [...shared];
    const before = encodeFieldDecisions(open);
    expect(before).not.toBe(once);
    expect(before).toEqual(once);
    open.push({ path: 'customer.profile.phone', piiClass: 'CONTACT', decision: 'deny', reason: 'CONSENT_NOT_GRANTED' });
    expect(roundTrip(open)).toHaveLength(3);
  });

  it('encodes two frozen lists of the same frozen decisions in another order once: the stored form keeps no order', () => {
    const email = Object.freeze({ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null } satisfies FieldDecisionRecord);
    const tier = Object.freeze({ path: 'customer.loyalty.tier', piiClass: 'FINANCIAL', decision: 'allow', reason: null } satisfies FieldDecisionRecord);
    const once = encodeFieldDecisions(Object.freeze([email, tier]));
    expect(encodeFieldDecisions(Object.freeze([tier, email]))).toBe(once);
    // Another decision makes another encoding; a decision that can still change is never looked up by content.
    const phone = Object.freeze({ path: 'customer.profile.phone', piiClass: 'CONTACT', decision: 'hash', reason: 'POLICY_HASHES' } satisfies FieldDecisionRecord);
    expect(decodeFieldDecisions(inflateFieldDecisions(encodeFieldDecisions(Object.freeze([tier, email, phone]))))).toEqual([tier, email, phone]);
    const open = { ...email };
    const unshared = encodeFieldDecisions(Object.freeze([open, tier]));
    expect(unshared).not.toBe(once);
    expect(unshared).toEqual(once);
  });

  it('encodes paths it has seen before (kept with their templates) exactly as the first time', () => {
    const fields: FieldDecisionRecord[] = [
      { path: 'customer.identities.4.value', piiClass: 'IDENTIFIER', decision: 'allow', reason: null },
      { path: 'customer.identities.12.value', piiClass: 'IDENTIFIER', decision: 'allow', reason: null },
      { path: 'customers.2.events.edges.7.node.type', piiClass: 'BEHAVIORAL', decision: 'allow', reason: null, customerId: 'cus_2' },
    ];
    const first = encodeFieldDecisions(fields);
    expect(encodeFieldDecisions(fields)).toEqual(first);
    expect(roundTrip(fields)).toEqual([fields[0], fields[1], fields[2]]);
  });

  it('keeps an empty list empty', () => {
    expect(roundTrip([])).toEqual([]);
  });

  it('stores the repeated decisions of list elements in a fraction of their JSON', () => {
    const fields: FieldDecisionRecord[] = [];
    for (let i = 0; i < 20; i++) for (const key of ['channel', 'source', 'status', 'updatedAt']) fields.push({ path: `customer.consents.${i}.${key}`, piiClass: 'BEHAVIORAL', decision: 'allow', reason: null });
    expect(roundTrip(fields)).toHaveLength(80);
    expect(encodeFieldDecisions(fields).byteLength).toBeLessThan(JSON.stringify(fields).length / 20);
  });

  it('answers undefined for what is not its stored form', () => {
    expect(decodeFieldDecisions([{ path: 'a' }])).toBeUndefined();
    expect(decodeFieldDecisions({ v: 2, g: [['A', 'allow', null, null, 'nope']] })).toBeUndefined();
  });
});
