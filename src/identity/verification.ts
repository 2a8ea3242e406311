import type { CustomerRecord, IdentityKey, IdentityType, MatchEvidenceRecord } from '../domain/index.js';
import type { SegmentSpec } from '../segments/definitions.js';
import { planCommit } from './mergeEngine.js';
import type { IdentityPolicy } from './identityRules.js';
import { identityIndexKey } from '../domain/index.js';


/** Identifier types that say nothing about who someone is: a browser's or a device's id. */
const ANONYMOUS_TYPES: ReadonlySet<IdentityType> = new Set(['ANONYMOUS_ID', 'DEVICE_ID']);

/**
 * A known person, as opposed to an anonymous visitor: the customer holds a
 * verified identifier, or any identifier that names a person rather than a
 * browser or device (contact identifiers, a login, a CRM or loyalty id).
 */
export function isKnownCustomer(customer: CustomerRecord): boolean {
  return customer.identities.some((identity) => identity.verified === true || !ANONYMOUS_TYPES.has(identity.type));
}

/** A merge identify refused because it would join two known people unverified. */
export interface UnverifiedJoin {
  readonly customer: CustomerRecord;
  /** Index keys of the call's identifiers this customer held: what would have joined it. */
  readonly otherKeys: string[];
  readonly evidence: MatchEvidenceRecord[];
}

type CallIdentifier = { readonly key: IdentityKey; readonly verified: boolean };

/**
 * Which of `others` the survivor may not absorb (docs/identity-resolution.md,
 * "Verified identifiers"): both are known people, and the call did not verify
 * an identifier on each side of the join. Anonymous customers still merge
 * into known ones (anonymous devices joined to a person by a login). A merge
 * that would break a per-type limit is left to that rule, which refuses it
 * for good (MERGE_EXCEEDS_LIMIT) rather than keeping it for a person.
 */
export function unverifiedJoins(
  now: Date,
  policy: IdentityPolicy,
  specs: readonly SegmentSpec[],
  call: readonly CallIdentifier[],
  holders: ReadonlyArray<CustomerRecord | null>,
  survivor: CustomerRecord,
  others: readonly CustomerRecord[],
): Map<string, UnverifiedJoin> {
  const refused = new Map<string, UnverifiedJoin>();
  if (!isKnownCustomer(survivor)) return refused;
  const heldBy = (customer: CustomerRecord) => call.filter((_, i) => holders[i]?.id === customer.id);
  const survivorVerified = heldBy(survivor).some((item) => item.verified);
  const overLimit = new Set(planCommit(policy, specs, now, survivor, others, []).refused.map(({ customer }) => customer.id));
  for (const customer of others) {
    if (!isKnownCustomer(customer) || overLimit.has(customer.id)) continue;
    const joining = heldBy(customer);
    if (survivorVerified && joining.some((item) => item.verified)) continue;
    refused.set(customer.id, {
      customer,
      otherKeys: joining.map((item) => identityIndexKey(item.key)),
      evidence: [...new Set(joining.map((item) => item.key.type))].map((type) => ({ attribute: type, level: 'exact_unverified', weight: null })),
    });
  }
  return refused;
}
