import { createHmac, hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { CrmContactRecord } from '../../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../../connectors/loyalty/port.js';
import type { CustomerRecord } from '../../src/domain/index.js';
import { loadSegmentFile } from '../../src/segments/definitions.js';
import { crmOf, demoCustomer, loyaltyOf, testDemoData } from './demo.js';
import { TEST_PSEUDONYM_KEY } from './gateway.js';
import type { GraphQLResponse } from './gateway.js';

/**
 * What the privacy layer should answer, written from docs/privacy.md
 * and docs/privacy.md rather than from the code under test: the default
 * policy table, the order of the checks, which class each field has, the
 * tracking plan's classes of event properties, and what mask and hash produce.
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

/** The default policy table of docs/privacy.md, copied by hand. */
export const DEFAULT_POLICY_TABLE: Record<PurposeName, { consent: boolean; classes: Record<PiiClassName, Action> }> = {
  support: { consent: false, classes: row('allow', 'allow', 'allow', 'allow', 'allow', 'allow', 'deny') },
  fraud: { consent: false, classes: row('allow', 'allow', 'allow', 'allow', 'allow', 'allow', 'deny') },
  self_service: { consent: false, classes: row('allow', 'allow', 'allow', 'allow', 'allow', 'allow', 'allow') },
  marketing: { consent: true, classes: row('allow', 'hash', 'mask', 'mask', 'deny', 'allow', 'deny') },
  personalization: { consent: true, classes: row('mask', 'hash', 'deny', 'mask', 'deny', 'allow', 'deny') },
  analytics: { consent: true, classes: row('hash', 'hash', 'deny', 'mask', 'allow', 'allow', 'deny') },
};

export const PURPOSE_NAMES = Object.keys(DEFAULT_POLICY_TABLE) as PurposeName[];

export type Expected = { action: 'allow' } | { action: 'mask' | 'hash'; reason: string } | { action: 'deny'; reason: string };

export interface Caller {
  readonly purpose: PurposeName | null;
  /** The signed-in customer, for end-user tokens. */
  readonly own?: string;
}

export function expectedDecision(caller: Caller, piiClass: PiiClassName, customer: CustomerRecord): Expected {
  if (caller.purpose === null) return { action: 'deny', reason: 'PURPOSE_REQUIRED' };
  if (caller.purpose === 'self_service' && caller.own !== customer.id) return { action: 'deny', reason: 'NOT_OWN_RECORD' };
  const rule = DEFAULT_POLICY_TABLE[caller.purpose];
  const action = rule.classes[piiClass];
  if (action === 'deny') return { action: 'deny', reason: 'POLICY_DENIES' };
  if (rule.consent && consentOf(customer, caller.purpose) !== 'GRANTED') return { action: 'deny', reason: 'CONSENT_NOT_GRANTED' };
  if (action === 'allow') return { action };
  return { action, reason: action === 'mask' ? 'POLICY_MASKS' : 'POLICY_HASHES' };
}

export function consentOf(customer: CustomerRecord, purpose: PurposeName): string | undefined {
  return customer.consents.filter((c) => c.purpose === purpose.toUpperCase()).sort((a, b) => a.updatedAt.localeCompare(b.updatedAt)).at(-1)?.status;
}

/** docs/privacy.md "Pseudonyms": HMAC-SHA-256 under the gateway's key (the test gateways' TEST_PSEUDONYM_KEY). */
export const pseudonym = (text: string, key: string = TEST_PSEUDONYM_KEY) => createHmac('sha256', key).update(text, 'utf8').digest('hex');

/**
 * docs/privacy.md "Pseudonyms": a customer token's principal id, `customer:`
 * and 22 base64url characters of HMAC-SHA-256 of `<TYPE>#<login>` under a key
 * derived from the gateway's pseudonym key for this use alone (HKDF-SHA-256,
 * info `c360/pseudonym/login`).
 */
export function loginPrincipalId(type: string, login: string, key: string = TEST_PSEUDONYM_KEY): string {
  const loginKey = Buffer.from(hkdfSync('sha256', key, '', 'c360/pseudonym/login', 32));
  return `customer:${createHmac('sha256', loginKey).update(`${type}#${login}`, 'utf8').digest('base64url').slice(0, 22)}`;
}

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
  /** An event property: text as text, a number to its order of magnitude. */
  property: (value: unknown) =>
    typeof value === 'number' ? (Math.abs(value) < 1 ? 0 : Math.sign(value) * 10 ** Math.floor(Math.log10(Math.abs(value)))) : typeof value === 'string' ? masks.text(value) : value,
};

export const hashes = {
  /** Emails lower-cased and trimmed; phones as stored (E.164); other strings trimmed. */
  text: (value: string) => pseudonym(value.trim()),
  email: (value: string) => pseudonym(value.trim().toLowerCase()),
  address: (address: NonNullable<CustomerRecord['profile']['address']>) =>
    Object.fromEntries(Object.entries(address).map(([key, value]) => [key, pseudonym(String(value).trim())])),
  /** An event property: text hashed as text, a number as its decimal text. */
  property: (value: unknown) => (typeof value === 'number' ? pseudonym(String(value)) : typeof value === 'string' ? pseudonym(value.trim()) : value),
};

/** config/tracking-plan.json, the documented plan: the class of each event property (SENSITIVE when undeclared). */
const TRACKING_PLAN = JSON.parse(readFileSync(new URL('../../config/tracking-plan.json', import.meta.url), 'utf8')) as {
  events: Record<string, { properties: Record<string, { class: PiiClassName }> }>;
};
export function propertyClass(eventType: string, property: string): PiiClassName {
  return TRACKING_PLAN.events[eventType]?.properties[property]?.class ?? 'SENSITIVE';
}

/** Every classified field of a customer in one selection (and the plain ones beside them). */
export const PII_SELECTION = /* GraphQL */ `
  id
  createdAt
  updatedAt
  profile { firstName lastName email phone birthDate address { line1 city postalCode country } }
  identities { type value source firstSeenAt lastSeenAt verified }
  traits { lifetimeValue orderCount firstSeenAt lastSeenAt }
  loyalty { memberId tier pointsBalance lifetimePoints tierExpiresAt }
  loyaltyAccounts { memberId tier pointsBalance lifetimePoints tierExpiresAt }
  crm { crmId accountManager openCases { id subject status openedAt } }
  crmRecords { crmId accountManager openCases { id subject status openedAt } }
  segments { segment { id name } since }
  consents { purpose status channel updatedAt source }
  consentHistory(first: 3) { purpose status channel source at note principal traceId }
  events(first: 3) { edges { node { id type occurredAt channel source properties } } }
  identityGraph { customerId nodes { id type value source firstSeenAt } changes { kind at } }
`;

export interface PrivacyField {
  path: string;
  piiClass: PiiClassName;
  decision: string;
  reason: string;
}

export interface ExpectedError {
  message: unknown;
  locations?: unknown;
  path: Array<string | number>;
  extensions: { code: 'PII_ACCESS_DENIED'; reason: string; piiClass: PiiClassName };
}

/** A release as the audit trail records it (docs/privacy.md, "Audit"). */
export interface AuditedField {
  path: string;
  piiClass: PiiClassName;
  decision: string;
  reason: string | null;
}

export interface ExpectedPii {
  value: Record<string, unknown>;
  errors: ExpectedError[];
  fields: PrivacyField[];
  /** What the customer's audit record of the response lists: every field and part released, as is, masked or hashed. */
  audited: AuditedField[];
}

type Path = Array<string | number>;

/** Builds a customer as a caller should see it, collecting the errors and privacy entries on the way. */
class Expectation {
  readonly errors: ExpectedError[] = [];
  readonly fields: PrivacyField[] = [];
  readonly audited: AuditedField[] = [];

  constructor(
    private readonly caller: Caller,
    private readonly customer: CustomerRecord,
    private readonly at: Path,
  ) {}

  /** A field decided as one value: null with an error when withheld, transformed when masked or hashed. */
  value<T>(
    path: Path,
    piiClass: PiiClassName,
    raw: T,
    mask: (v: NonNullable<T>) => unknown = noTransform,
    hash: (v: NonNullable<T>) => unknown = noTransform,
    insideValue = false,
  ): unknown {
    const decision = expectedDecision(this.caller, piiClass, this.customer);
    if (decision.action === 'deny') return this.withhold(path, piiClass, decision.reason, insideValue);
    // A null value is not a release: nothing is listed or audited for it.
    if (raw === null || raw === undefined) return null;
    const dotted = [...this.at, ...path].join('.');
    if (decision.action === 'allow') {
      this.audited.push({ path: dotted, piiClass, decision: 'allow', reason: null });
      return raw;
    }
    const transformed = decision.action === 'mask' ? mask(raw) : hash(raw);
    if (transformed === NOT_POSSIBLE) return this.withhold(path, piiClass, 'POLICY_DENIES', insideValue);
    this.fields.push({ path: dotted, piiClass, decision: decision.action, reason: decision.reason });
    this.audited.push({ path: dotted, piiClass, decision: decision.action, reason: decision.reason });
    return transformed;
  }

  /** A part of the customer (a list, an object from a source): present or withheld as a whole, its fields decided on their own. */
  part<T>(path: Path, piiClass: PiiClassName, raw: T | null | undefined, build: (v: T) => unknown): unknown {
    const decision = expectedDecision(this.caller, piiClass, this.customer);
    if (decision.action === 'deny') return this.withhold(path, piiClass, decision.reason);
    if (raw === null || raw === undefined) return null;
    // A part's presence is released as it is, whatever the policy does to its fields' values.
    this.audited.push({ path: [...this.at, ...path].join('.'), piiClass, decision: 'allow', reason: null });
    return build(raw);
  }

  /** Event properties, each by the tracking plan's class for the event's type. */
  properties(path: Path, eventType: string, raw: Record<string, unknown> | null | undefined): unknown {
    return this.part(path, 'BEHAVIORAL', raw, (properties) =>
      Object.fromEntries(
        Object.entries(properties).map(([name, inner]) => [name, this.value([...path, name], propertyClass(eventType, name), inner, masks.property, hashes.property, true)]),
      ),
    );
  }

  /** A withheld event property has no location of its own: it is inside the value of `properties`. */
  private withhold(path: Path, piiClass: PiiClassName, reason: string, insideValue = false): null {
    const fullPath = [...this.at, ...path];
    const extensions = { code: 'PII_ACCESS_DENIED' as const, reason, piiClass };
    this.errors.push(insideValue ? { message: expect.any(String), path: fullPath, extensions } : { message: expect.any(String), locations: expect.any(Array), path: fullPath, extensions });
    this.fields.push({ path: fullPath.join('.'), piiClass, decision: 'deny', reason });
    return null;
  }
}

const NOT_POSSIBLE = Symbol('not possible');
const noTransform = () => NOT_POSSIBLE;
/** A Float cannot carry a digest (docs/privacy.md): hashing a number withholds it. */
const cannotHash = () => NOT_POSSIBLE;

/** A LoyaltyAccount at `at` (Customer.loyalty, or one of Customer.loyaltyAccounts). */
function loyaltyAccount(e: Expectation, at: Path, account: LoyaltyAccountRecord) {
  return {
    memberId: e.value([...at, 'memberId'], 'IDENTIFIER', account.memberId, masks.text, hashes.text),
    tier: e.value([...at, 'tier'], 'FINANCIAL', account.tier),
    pointsBalance: e.value([...at, 'pointsBalance'], 'FINANCIAL', account.pointsBalance),
    lifetimePoints: e.value([...at, 'lifetimePoints'], 'FINANCIAL', account.lifetimePoints),
    tierExpiresAt: e.value([...at, 'tierExpiresAt'], 'FINANCIAL', account.tierExpiresAt),
  };
}

/** A CrmRecord at `at` (Customer.crm, or one of Customer.crmRecords): its open cases are the ones the CRM does not count as closed. */
function crmRecord(e: Expectation, at: Path, contact: CrmContactRecord) {
  return {
    crmId: e.value([...at, 'crmId'], 'IDENTIFIER', contact.crmId, masks.text, hashes.text),
    accountManager: e.value([...at, 'accountManager'], 'BEHAVIORAL', contact.accountManager ?? null),
    openCases: e.part([...at, 'openCases'], 'BEHAVIORAL', contact.cases.filter((c) => !c.closed), (cases) =>
      cases.map((supportCase, i) => ({
        id: e.value([...at, 'openCases', i, 'id'], 'IDENTIFIER', supportCase.id, masks.text, hashes.text),
        subject: e.value([...at, 'openCases', i, 'subject'], 'BEHAVIORAL', supportCase.subject),
        status: e.value([...at, 'openCases', i, 'status'], 'BEHAVIORAL', supportCase.status),
        openedAt: e.value([...at, 'openCases', i, 'openedAt'], 'BEHAVIORAL', supportCase.openedAt),
      })),
    ),
  };
}

/** The customer as PII_SELECTION returns it to `caller`, with the errors and privacy entries that go with it. */
export function expectedPii(customerId: string, caller: Caller, at: Path): ExpectedPii {
  const { customer, events, crm, loyalty, crmRecords, loyaltyAccounts } = demoCustomer(customerId);
  const e = new Expectation(caller, customer, at);
  const p = customer.profile;
  const catalog = loadSegmentFile().segments;
  const history = testDemoData()
    .consentHistory.filter((change) => change.customerId === customerId)
    .sort((a, b) => `${b.at}#${b.id}`.localeCompare(`${a.at}#${a.id}`))
    .slice(0, 3);
  const value = {
    id: customer.id,
    createdAt: e.value(['createdAt'], 'BEHAVIORAL', customer.createdAt),
    updatedAt: e.value(['updatedAt'], 'BEHAVIORAL', customer.updatedAt),
    profile: {
      firstName: e.value(['profile', 'firstName'], 'CONTACT', p.firstName!, masks.text, hashes.text),
      lastName: e.value(['profile', 'lastName'], 'CONTACT', p.lastName!, masks.text, hashes.text),
      email: e.value(['profile', 'email'], 'CONTACT', p.email!, masks.email, hashes.email),
      phone: e.value(['profile', 'phone'], 'CONTACT', p.phone!, masks.phone, hashes.text),
      birthDate: e.value(['profile', 'birthDate'], 'DEMOGRAPHIC', p.birthDate!, masks.date, hashes.text),
      address: e.value(['profile', 'address'], 'LOCATION', p.address!, masks.address, hashes.address),
    },
    identities: e.part(['identities'], 'IDENTIFIER', customer.identities, (identities) =>
      identities.map((identity, i) => ({
        type: identity.type,
        value: e.value(['identities', i, 'value'], 'IDENTIFIER', identity.value, masks.text, identity.type === 'EMAIL' ? hashes.email : hashes.text),
        source: e.value(['identities', i, 'source'], 'BEHAVIORAL', identity.source),
        firstSeenAt: e.value(['identities', i, 'firstSeenAt'], 'BEHAVIORAL', identity.firstSeenAt),
        lastSeenAt: e.value(['identities', i, 'lastSeenAt'], 'BEHAVIORAL', identity.lastSeenAt),
        // A customer token's login (its USER_ID) is recorded as verified by the token's own read of `me`.
        verified: e.value(['identities', i, 'verified'], 'BEHAVIORAL', identity.verified === true || (caller.own === customer.id && identity.type === 'USER_ID')),
      })),
    ),
    traits: e.part(['traits'], 'BEHAVIORAL', customer.traits, (traits) => ({
      lifetimeValue: e.value(['traits', 'lifetimeValue'], 'FINANCIAL', traits.lifetimeValue, () => 'n/a', cannotHash),
      orderCount: e.value(['traits', 'orderCount'], 'BEHAVIORAL', traits.orderCount),
      firstSeenAt: e.value(['traits', 'firstSeenAt'], 'BEHAVIORAL', traits.firstSeenAt),
      lastSeenAt: e.value(['traits', 'lastSeenAt'], 'BEHAVIORAL', traits.lastSeenAt),
    })),
    loyalty: e.part(['loyalty'], 'FINANCIAL', loyalty, (account) => loyaltyAccount(e, ['loyalty'], account)),
    // Every membership, each decided like loyalty: the list is a FINANCIAL part, each account's fields by their own class.
    loyaltyAccounts: e.part(['loyaltyAccounts'], 'FINANCIAL', loyaltyAccounts, (accounts) => accounts.map((account, i) => loyaltyAccount(e, ['loyaltyAccounts', i], account))),
    crm: e.part(['crm'], 'BEHAVIORAL', crm, (contact) => crmRecord(e, ['crm'], contact)),
    // Every CRM contact, each decided like crm: the list is a BEHAVIORAL part, each record's fields by their own class.
    crmRecords: e.part(['crmRecords'], 'BEHAVIORAL', crmRecords, (contacts) => contacts.map((contact, i) => crmRecord(e, ['crmRecords', i], contact))),
    segments: e.part(['segments'], 'BEHAVIORAL', customer.segments, (memberships) =>
      memberships
        .filter((membership) => catalog.some((s) => s.id === membership.segmentId))
        .map((membership, i) => ({
          segment: { id: membership.segmentId, name: catalog.find((s) => s.id === membership.segmentId)!.name },
          since: e.value(['segments', i, 'since'], 'BEHAVIORAL', membership.since),
        })),
    ),
    consents: e.part(['consents'], 'BEHAVIORAL', customer.consents, (consents) =>
      consents.map((consent, i) => ({
        purpose: consent.purpose,
        status: e.value(['consents', i, 'status'], 'BEHAVIORAL', consent.status),
        channel: e.value(['consents', i, 'channel'], 'BEHAVIORAL', consent.channel ?? null),
        updatedAt: e.value(['consents', i, 'updatedAt'], 'BEHAVIORAL', consent.updatedAt),
        source: e.value(['consents', i, 'source'], 'BEHAVIORAL', consent.source),
      })),
    ),
    consentHistory: e.part(['consentHistory'], 'BEHAVIORAL', history, (changes) =>
      changes.map((change, i) => ({
        purpose: change.purpose,
        status: e.value(['consentHistory', i, 'status'], 'BEHAVIORAL', change.status),
        channel: e.value(['consentHistory', i, 'channel'], 'BEHAVIORAL', change.channel ?? null),
        source: e.value(['consentHistory', i, 'source'], 'BEHAVIORAL', change.source),
        at: e.value(['consentHistory', i, 'at'], 'BEHAVIORAL', change.at),
        note: e.value(['consentHistory', i, 'note'], 'BEHAVIORAL', change.note ?? null),
        principal: null,
        traceId: null,
      })),
    ),
    events: e.part(['events'], 'BEHAVIORAL', events.slice(0, 3), (page) => ({
      edges: page.map((event, i) => {
        const at = ['events', 'edges', i, 'node'];
        return {
          node: {
            id: event.id,
            type: e.value([...at, 'type'], 'BEHAVIORAL', event.type),
            occurredAt: e.value([...at, 'occurredAt'], 'BEHAVIORAL', event.occurredAt),
            channel: e.value([...at, 'channel'], 'BEHAVIORAL', event.channel ?? null),
            source: e.value([...at, 'source'], 'BEHAVIORAL', event.source),
            properties: e.properties([...at, 'properties'], event.type, event.properties),
          },
        };
      }),
    })),
    identityGraph: e.part(['identityGraph'], 'IDENTIFIER', customer, () => ({
      customerId: customer.id,
      nodes: e.part(['identityGraph', 'nodes'], 'IDENTIFIER', customer.identities, (identities) =>
        identities.map((identity, i) => ({
          id: `n${i + 1}`,
          type: identity.type,
          value: e.value(['identityGraph', 'nodes', i, 'value'], 'IDENTIFIER', identity.value, masks.text, identity.type === 'EMAIL' ? hashes.email : hashes.text),
          source: e.value(['identityGraph', 'nodes', i, 'source'], 'BEHAVIORAL', identity.source),
          firstSeenAt: e.value(['identityGraph', 'nodes', i, 'firstSeenAt'], 'BEHAVIORAL', identity.firstSeenAt),
        })),
      ),
      // The demo data was loaded, not linked by identify: its customers have no identity change log.
      changes: e.part(['identityGraph', 'changes'], 'IDENTIFIER', [], () => []),
    })),
  };
  return { value, errors: e.errors, fields: e.fields, audited: e.audited };
}

/** Errors and privacy entries in a stable order, so whole bodies compare. */
export function byPath<T extends { path?: unknown }>(items: readonly T[] | undefined): T[] {
  const key = (item: T) => (Array.isArray(item.path) ? item.path.join('.') : String(item.path));
  return [...(items ?? [])].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** The body with errors and privacy entries sorted by path (their order is not part of the contract). */
export function sorted(body: GraphQLResponse['body']) {
  const privacy = body.extensions?.privacy as { fields?: Array<{ path: string }> } | undefined;
  return {
    ...body,
    ...(body.errors ? { errors: byPath(body.errors) } : {}),
    ...(privacy ? { extensions: { ...body.extensions, privacy: { ...privacy, fields: byPath(privacy.fields) } } } : {}),
  };
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
