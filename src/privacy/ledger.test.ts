import { describe, expect, it } from 'vitest';
import { AuditShape, PrivacyLedger, WalkedOutcome, releaseOf, sortKeyOf } from './ledger.js';
import type { Release } from './ledger.js';
import { loadPolicy } from './policy.js';

/** A ledger for a marketing read with the shipped policy, outside any customer's own session. */
function marketingLedger(): PrivacyLedger {
  return new PrivacyLedger({
    policy: loadPolicy(),
    purpose: 'MARKETING',
    callerCustomerId: undefined,
    loadOwner: async () => undefined,
    redactOptions: { phoneRegion: 'US', pseudonymize: (text) => text },
  });
}

/** A field about two customers (a merge suggestion's evidence) is recorded once per customer, for each one's audit trail. */
function ledgerWithSharedField(decision: 'allow' | 'hash'): PrivacyLedger {
  const ledger = marketingLedger();
  const path = ['mergeSuggestions', 'edges', 0, 'node', 'evidence'];
  const reason = decision === 'hash' ? { reason: 'POLICY_HASHES' as const } : {};
  for (const ownerId of ['cus_a', 'cus_b']) ledger.record({ path, piiClass: 'IDENTIFIER', decision, ownerId, ...reason });
  return ledger;
}

describe('a field about several customers', () => {
  it('is one release per customer, for their audit trails', () => {
    expect(ledgerWithSharedField('allow').releases.map((outcome) => outcome.ownerId)).toEqual(['cus_a', 'cus_b']);
  });

  it('is listed once in extensions.privacy', () => {
    expect(ledgerWithSharedField('hash').extension().fields).toEqual([
      { path: 'mergeSuggestions.edges.0.node.evidence', piiClass: 'IDENTIFIER', decision: 'hash', reason: 'POLICY_HASHES' },
    ]);
  });

  it('is taken back once when the audit write fails (one error in the response)', () => {
    const ledger = ledgerWithSharedField('allow');
    expect(ledger.revokeReleases('AUDIT_UNAVAILABLE').map((outcome) => outcome.path.join('.'))).toEqual(['mergeSuggestions.edges.0.node.evidence']);
    expect(ledger.extension().fields).toEqual([{ path: 'mergeSuggestions.edges.0.node.evidence', piiClass: 'IDENTIFIER', decision: 'deny', reason: 'AUDIT_UNAVAILABLE' }]);
  });

  it('is taken back at the place in the document the locator gives its path', () => {
    const locate = (path: ReadonlyArray<string | number>) => (path.at(-1) === 'evidence' ? [{ line: 3, column: 40 }] : undefined);
    const revoked = ledgerWithSharedField('allow').revokeReleases('AUDIT_UNAVAILABLE', locate);
    expect(revoked.map(({ path, locations }) => ({ path, locations }))).toEqual([{ path: ['mergeSuggestions', 'edges', 0, 'node', 'evidence'], locations: [{ line: 3, column: 40 }] }]);
  });
});

describe('extensions.privacy of walked values', () => {
  it('lists them in response order (list indexes by number), once per path, the same order every time', () => {
    const ledger = marketingLedger();
    const recorded = ['customers.10.profile.email', 'customers.2.profile.phone', 'customers.2.profile.email', 'customers.10.profile.email', 'customers.2.identities.0.value'];
    for (const path of recorded) ledger.recordWalked(new WalkedOutcome(path, 'CONTACT', 'hash', 'POLICY_HASHES', 'cus_a'));
    const listed = ['customers.2.identities.0.value', 'customers.2.profile.email', 'customers.2.profile.phone', 'customers.10.profile.email'];
    for (let i = 0; i < 2; i++) expect(ledger.extension().fields.map((field) => field.path)).toEqual(listed);
    expect(sortKeyOf('customers.2.profile')).toBe(['customers', '0000000002', 'profile'].join('\u0000'));
    expect(sortKeyOf('customers.2.profile')).toBe(sortKeyOf('customers.2.profile'));
  });
});

describe('release lists shared by the requests of one plan', () => {
  const [email, phone, city] = (['customer.profile.email', 'customer.profile.phone', 'customer.profile.city'] as const).map((path) => releaseOf(path, 'CONTACT', 'allow'));
  const requestOf = (shape: AuditShape, releases: ReadonlyArray<readonly [string, Release]>): PrivacyLedger => {
    const ledger = marketingLedger();
    ledger.useShape(shape);
    for (const [owner, release] of releases) ledger.release(owner, release);
    return ledger;
  };

  it('a request that repeats the last one gets its frozen list; one that differs gets its own, with every release it made', () => {
    const shape = new AuditShape();
    const first = requestOf(shape, [['cus_a', email!], ['cus_a', phone!]]).releasesByCustomer.get('cus_a')!;
    expect(Object.isFrozen(first)).toBe(true);
    expect(requestOf(shape, [['cus_b', email!], ['cus_b', phone!]]).releasesByCustomer.get('cus_b')).toBe(first);
    const shorter = requestOf(shape, [['cus_a', email!]]).releasesByCustomer.get('cus_a');
    expect(shorter).toEqual([email]);
    expect(shorter).not.toBe(first);
    const other = requestOf(shape, [['cus_a', email!], ['cus_a', city!], ['cus_a', phone!]]).releasesByCustomer.get('cus_a');
    expect(other).toEqual([email, city, phone]);
    expect(first).toEqual([email, phone]);
  });

  it('a release recorded after the list was read is added to a copy, never to the shared list', () => {
    const shape = new AuditShape();
    const ledger = requestOf(shape, [['cus_a', email!]]);
    const shared = ledger.releasesByCustomer.get('cus_a');
    ledger.release('cus_a', phone!);
    expect(shared).toEqual([email]);
    expect(ledger.releasesByCustomer.get('cus_a')).toEqual([email, phone]);
    expect(ledger.releaseCount).toBe(2);
  });
});
