import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import type { CustomerRecord } from '../../connectors/singleview/port.js';
import { crmOf, demoCustomer, loyaltyOf, testDemoData } from './demo.js';

/**
 * What the privacy layer should answer, written from DESIGN.md ("Privacy")
 * and docs/privacy.md rather than from the code under test: the default
 * policy table, the order of the checks, and what mask and hash produce.
 */
type Action = 'allow' | 'mask' | 'hash' | 'deny';
export type PiiClassName = 'CONTACT' | 'IDENTIFIER' | 'DEMOGRAPHIC' | 'LOCATION' | 'FINANCIAL' | 'BEHAVIORAL' | 'SENSITIVE';
export type PurposeName = 'support' | 'fraud' | 'self_service' | 'marketing' | 'personalization' | 'analytics';

const row = (CONTACT: Action, IDENTIFIER: Action, DEMOGRAPHIC: Action, LOCATION: Action, FINANCIAL: Action, BEHAVIORAL: Action, SENSITIVE: Action) => ({
  CONTACT,
  IDENTIFIER,
  DEMOGRAPHIC,
  LOCATION,
  FINANCIAL,
  BEHAVIORAL,
  SENSITIVE,
});

/** DESIGN.md's default policy table, copied by hand. */
export const DESIGN_POLICY: Record<PurposeName, { consent: boolean; classes: Record<PiiClassName, Action> }> = {
  support: { consent: false, classes: row('allow', 'allow', 'allow', 'allow', 'allow', 'allow', 'deny') },
  fraud: { consent: false, classes: row('allow', 'allow', 'allow', 'allow', 'allow', 'allow', 'deny') },
  self_service: { consent: false, classes: row('allow', 'allow', 'allow', 'allow', 'allow', 'allow', 'allow') },
  marketing: { consent: true, classes: row('allow', 'hash', 'mask', 'mask', 'deny', 'allow', 'deny') },
  personalization: { consent: true, classes: row('mask', 'hash', 'deny', 'mask', 'deny', 'allow', 'deny') },
  analytics: { consent: true, classes: row('hash', 'hash', 'deny', 'mask', 'allow', 'allow', 'deny') },
};

export const PURPOSE_NAMES = Object.keys(DESIGN_POLICY) as PurposeName[];

export type Expected = { action: 'allow' } | { action: 'mask' | 'hash'; reason: string } | { action: 'deny'; reason: string };

export interface Caller {
  readonly purpose: PurposeName | null;
  /** The signed-in customer, for end-user tokens. */
  readonly own?: string;
}

export function expectedDecision(caller: Caller, piiClass: PiiClassName, customer: CustomerRecord): Expected {
  if (caller.purpose === null) return { action: 'deny', reason: 'PURPOSE_REQUIRED' };
  if (caller.purpose === 'self_service' && caller.own !== customer.id) return { action: 'deny', reason: 'NOT_OWN_RECORD' };
  const rule = DESIGN_POLICY[caller.purpose];
  const action = rule.classes[piiClass];
  if (action === 'deny') return { action: 'deny', reason: 'POLICY_DENIES' };
  if (rule.consent && consentOf(customer, caller.purpose) !== 'GRANTED') return { action: 'deny', reason: 'CONSENT_NOT_GRANTED' };
  if (action === 'allow') return { action };
  return { action, reason: action === 'mask' ? 'POLICY_MASKS' : 'POLICY_HASHES' };
}

export function consentOf(customer: CustomerRecord, purpose: PurposeName): string | undefined {
  return customer.consents.filter((c) => c.purpose === purpose.toUpperCase()).sort((a, b) => a.updatedAt.localeCompare(b.updatedAt)).at(-1)?.status;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** docs/privacy.md "Masking and hashing", for the kinds of value the demo data holds. */
export const masks = {
  text: (value: string) => `${value[0]}***`,
  email: (value: string) => {
    const [local, domain] = value.split('@') as [string, string];
    return `${local[0]}***@${domain[0]}***.${domain.split('.').at(-1)}`;
  },
  phone: (e164: string) => `+${'*'.repeat(e164.length - 5)}${e164.slice(-4)}`,
  date: (value: string) => `${value.slice(0, 4)}-**-**`,
  address: (address: NonNullable<CustomerRecord['profile']['address']>) => ({
    line1: `${address.line1![0]}***`,
    city: `${address.city![0]}***`,
    postalCode: `${address.postalCode!.slice(0, 3)}**`,
    country: address.country,
  }),
};

export const hashes = {
  /** Emails lower-cased and trimmed; phones as stored (E.164); other strings trimmed. */
  text: (value: string) => sha256(value.trim()),
  email: (value: string) => sha256(value.trim().toLowerCase()),
  address: (address: NonNullable<CustomerRecord['profile']['address']>) =>
    Object.fromEntries(Object.entries(address).map(([key, value]) => [key, sha256(String(value).trim())])),
};

/** Every personal field in one selection (and a few plain ones beside them). */
export const PII_SELECTION = /* GraphQL */ `
  id
  profile { firstName lastName email phone birthDate address { line1 city postalCode country } }
  identities { type value }
  traits { lifetimeValue orderCount }
  loyalty { memberId tier }
  crm { crmId }
  events(first: 3) { edges { node { id properties } } }
`;

export interface PrivacyField {
  path: string;
  piiClass: PiiClassName;
  decision: string;
  reason: string;
}

export interface ExpectedError {
  message: unknown;
  locations: unknown;
  path: Array<string | number>;
  extensions: { code: 'PII_ACCESS_DENIED'; reason: string; piiClass: PiiClassName };
}

export interface ExpectedPii {
  value: Record<string, unknown>;
  errors: ExpectedError[];
  fields: PrivacyField[];
}

/** The customer as PII_SELECTION returns it to `caller`, with the errors and privacy entries that go with it. */
export function expectedPii(customerId: string, caller: Caller, at: Array<string | number>): ExpectedPii {
  const { customer, events, crm, loyalty } = demoCustomer(customerId);
  const errors: ExpectedError[] = [];
  const fields: PrivacyField[] = [];
  const field = <T>(path: Array<string | number>, piiClass: PiiClassName, raw: T, mask: (v: T) => unknown, hash: (v: T) => unknown): unknown => {
    const decision = expectedDecision(caller, piiClass, customer);
    const fullPath = [...at, ...path];
    if (decision.action === 'deny') {
      errors.push({ message: expect.any(String), locations: expect.any(Array), path: fullPath, extensions: { code: 'PII_ACCESS_DENIED', reason: decision.reason, piiClass } });
      fields.push({ path: fullPath.join('.'), piiClass, decision: 'deny', reason: decision.reason });
      return null;
    }
    if (decision.action === 'allow' || raw === null || raw === undefined) return raw;
    fields.push({ path: fullPath.join('.'), piiClass, decision: decision.action, reason: decision.reason });
    return decision.action === 'mask' ? mask(raw) : hash(raw);
  };
  const p = customer.profile;
  const value = {
    id: customer.id,
    profile: {
      firstName: field(['profile', 'firstName'], 'CONTACT', p.firstName!, masks.text, hashes.text),
      lastName: field(['profile', 'lastName'], 'CONTACT', p.lastName!, masks.text, hashes.text),
      email: field(['profile', 'email'], 'CONTACT', p.email!, masks.email, hashes.email),
      phone: field(['profile', 'phone'], 'CONTACT', p.phone!, masks.phone, hashes.text),
      birthDate: field(['profile', 'birthDate'], 'DEMOGRAPHIC', p.birthDate!, masks.date, hashes.text),
      address: field(['profile', 'address'], 'LOCATION', p.address!, masks.address, hashes.address),
    },
    identities: customer.identities.map((identity, i) => ({
      type: identity.type,
      value: field(['identities', i, 'value'], 'IDENTIFIER', identity.value, masks.text, identity.type === 'EMAIL' ? hashes.email : hashes.text),
    })),
    traits: {
      lifetimeValue: field(['traits', 'lifetimeValue'], 'FINANCIAL', customer.traits.lifetimeValue, () => 'n/a', () => 'n/a'),
      orderCount: customer.traits.orderCount,
    },
    loyalty: loyalty && { memberId: field(['loyalty', 'memberId'], 'IDENTIFIER', loyalty.memberId, masks.text, hashes.text), tier: loyalty.tier },
    crm: crm && { crmId: field(['crm', 'crmId'], 'IDENTIFIER', crm.crmId, masks.text, hashes.text) },
    events: {
      edges: events.slice(0, 3).map((event, i) => ({
        node: { id: event.id, properties: field(['events', 'edges', i, 'node', 'properties'], 'BEHAVIORAL', event.properties, () => 'n/a', () => 'n/a') },
      })),
    },
  };
  return { value, errors, fields };
}

/** Errors and privacy entries in a stable order, so whole bodies compare. */
export function byPath<T extends { path?: unknown }>(items: readonly T[] | undefined): T[] {
  const key = (item: T) => (Array.isArray(item.path) ? item.path.join('.') : String(item.path));
  return [...(items ?? [])].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Demo customers chosen for a consent state: one that granted `purpose` and one that did not, both with CRM and loyalty records. */
export function customersByConsent(purpose: PurposeName): { granted: string; denied: string } {
  const data = testDemoData();
  const complete = data.customers.filter(
    (c) => crmOf(c.id, data) !== null && loyaltyOf(c.id, data) !== null && c.profile.address,
  );
  const granted = complete.find((c) => consentOf(c, purpose) === 'GRANTED');
  const denied = complete.find((c) => consentOf(c, purpose) !== 'GRANTED');
  if (!granted || !denied) throw new Error(`the demo data has no customer pair for ${purpose}`);
  return { granted: granted.id, denied: denied.id };
}
