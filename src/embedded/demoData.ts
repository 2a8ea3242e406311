import { Faker, en } from '@faker-js/faker';
import type { CrmContactRecord, SupportCaseRecord } from '../../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../../connectors/loyalty/port.js';
import { normalizeIdentity } from '../../connectors/resolution/normalize.js';
import type { ConsentChangeRecord, ConsentRecord, CustomerRecord, EventRecord, IdentityRecord, IdentityType, Purpose } from '../domain/index.js';
import { loadSegmentFile } from '../segments/definitions.js';
import type { SegmentSpec } from '../segments/definitions.js';
import { evaluateMemberships } from '../segments/evaluate.js';

/**
 * The embedded demo data set: deterministic for a given seed and size, so
 * every fresh data directory holds the same customers. Dates hang off a fixed
 * anchor rather than the clock for the same reason.
 */
export interface DemoData {
  readonly customers: CustomerRecord[];
  readonly events: EventRecord[];
  readonly crm: CrmContactRecord[];
  readonly loyalty: LoyaltyAccountRecord[];
  /** One entry per consent decision the customers hold. */
  readonly consentHistory: ConsentChangeRecord[];
}

export interface DemoOptions {
  readonly customers: number;
  readonly seed: number;
  /** Segments whose memberships the data set holds, evaluated at the anchor date; the bundled file by default. */
  readonly segments?: readonly SegmentSpec[];
}

export const DEMO_ANCHOR = new Date('2026-11-01T00:00:00.000Z');
const DAY = 86_400_000;

/**
 * The two documented customers (README, docs/demo.md). `login` is the
 * USER_ID each signs in with: what a customer token for them names.
 */
export const DEMO_CUSTOMERS = {
  consent: { id: 'cus_demo_customer', email: 'demo.customer@example.com', login: 'user_1' },
  noConsent: { id: 'cus_demo_noconsent', email: 'demo.noconsent@example.com', login: 'user_2' },
} as const;

const EVENT_TYPES = [
  ['Page Viewed', 30],
  ['Product Viewed', 25],
  ['Product Added', 10],
  ['Order Completed', 6],
  ['Email Opened', 12],
  ['Support Contacted', 3],
] as const;
const CHANNELS = ['web', 'ios', 'android', 'email', 'store', 'call_centre'];
const AREA_CODES = ['201', '202', '212', '213', '305', '312', '404', '415', '503', '512', '602', '617', '702', '713', '718', '808', '917', '919', '206', '303'];
const TIERS = [
  ['Bronze', 0],
  ['Silver', 2_000],
  ['Gold', 10_000],
  ['Platinum', 40_000],
] as const;

interface CustomerSketch {
  readonly id: string;
  readonly email: string;
  readonly marketing?: 'GRANTED' | 'DENIED';
  readonly documented: boolean;
}

export function generateDemoData(options: DemoOptions): DemoData {
  const faker = new Faker({ locale: [en] });
  faker.seed(options.seed);
  faker.setDefaultRefDate(DEMO_ANCHOR);
  const data: DemoData = { customers: [], events: [], crm: [], loyalty: [], consentHistory: [] };
  const segments = options.segments ?? loadSegmentFile().segments;
  const sketches: CustomerSketch[] = [
    { ...DEMO_CUSTOMERS.consent, marketing: 'GRANTED', documented: true },
    { ...DEMO_CUSTOMERS.noConsent, marketing: 'DENIED', documented: true },
  ];
  for (let n = 1; n <= options.customers; n++) {
    const id = `cus_${String(n).padStart(6, '0')}`;
    sketches.push({ id, email: '', documented: false });
  }
  sketches.forEach((sketch, index) => addCustomer(faker, data, sketch, index, segments));
  return data;
}

function addCustomer(faker: Faker, data: DemoData, sketch: CustomerSketch, index: number, segments: readonly SegmentSpec[]): void {
  const firstName = sketch.documented ? (sketch.marketing === 'GRANTED' ? 'Dana' : 'Noel') : faker.person.firstName();
  const lastName = sketch.documented ? 'Demo' : faker.person.lastName();
  const email = sketch.email || `${firstName}.${lastName}.${index}@example.${faker.helpers.arrayElement(['com', 'org', 'net'])}`.toLowerCase();
  const phone = phoneNumber(index);
  const createdAt = new Date(DEMO_ANCHOR.getTime() - faker.number.int({ min: 95, max: 900 }) * DAY);
  const events = generateEvents(faker, sketch, createdAt);
  const orders = events.filter((event) => event.type === 'Order Completed');
  const lifetimeValue = round2(orders.reduce((sum, event) => sum + Number(event.properties?.total ?? 0), 0));
  const hasCrm = sketch.documented || faker.number.float() < 0.85;
  const hasLoyalty = sketch.documented || faker.number.float() < 0.7;
  const crmId = `CRM-${String(100_000 + index)}`;
  const memberId = `LM${String(10_000_000 + index * 7)}`;
  const seen = (daysAgo: number) => new Date(DEMO_ANCHOR.getTime() - daysAgo * DAY).toISOString();
  const identity = (type: IdentityType, value: string, source: string): IdentityRecord => ({
    type,
    value,
    source,
    firstSeenAt: createdAt.toISOString(),
    lastSeenAt: seen(faker.number.int({ min: 0, max: 30 })),
  });
  const identities: IdentityRecord[] = [identity('EMAIL', email, 'web'), identity('PHONE', phone, 'crm')];
  if (sketch.documented || faker.number.float() < 0.8) identities.push(identity('USER_ID', `user_${index + 1}`, 'web'));
  for (let i = faker.number.int({ min: 1, max: 3 }); i > 0; i--) identities.push(identity('ANONYMOUS_ID', faker.string.uuid(), 'web'));
  for (let i = faker.number.int({ min: 0, max: 2 }); i > 0; i--) identities.push(identity('DEVICE_ID', `dev-${faker.string.alphanumeric(12)}`, 'mobile'));
  if (hasCrm) identities.push(identity('CRM_ID', crmId, 'crm'));
  if (hasLoyalty) identities.push(identity('LOYALTY_ID', memberId, 'loyalty'));

  const consents = generateConsents(faker, sketch, createdAt);
  const customer: CustomerRecord = {
    id: sketch.id,
    createdAt: createdAt.toISOString(),
    updatedAt: events.at(-1)?.occurredAt ?? createdAt.toISOString(),
    profile: {
      firstName,
      lastName,
      email,
      phone,
      birthDate: faker.date.birthdate({ min: 18, max: 85, mode: 'age' }).toISOString().slice(0, 10),
      address: {
        line1: faker.location.streetAddress(),
        city: faker.location.city(),
        postalCode: faker.location.zipCode('#####'),
        country: 'US',
      },
    },
    identities,
    consents,
    segments: [],
    traits: {
      lifetimeValue,
      orderCount: orders.length,
      firstSeenAt: events[0]?.occurredAt ?? null,
      lastSeenAt: events.at(-1)?.occurredAt ?? null,
    },
    lastEventAt: Object.fromEntries(events.map((event) => [event.type, event.occurredAt])),
  };
  // The same engine the write path runs, at the anchor date: memberships agree with the rules.
  const facts = { traits: customer.traits, consents, lastEventAt: customer.lastEventAt ?? {} };
  data.customers.push({ ...customer, segments: evaluateMemberships(segments, facts, [], DEMO_ANCHOR) });
  data.events.push(...events);
  data.consentHistory.push(
    ...consents.map((consent) => ({
      customerId: sketch.id,
      id: `seed-${consent.purpose.toLowerCase()}`,
      purpose: consent.purpose,
      status: consent.status,
      channel: consent.channel ?? null,
      source: consent.source,
      at: consent.updatedAt,
      note: null,
    })),
  );
  if (hasCrm) data.crm.push(generateCrm(faker, sketch, crmId, { firstName, lastName, email, phone }));
  if (hasLoyalty) data.loyalty.push(generateLoyalty(faker, memberId, lifetimeValue));
}

/** Fictional US numbers (555-01xx) that libphonenumber accepts, unique per index. */
function phoneNumber(index: number): string {
  const area = AREA_CODES[index % AREA_CODES.length]!;
  const line = String(100 + (Math.floor(index / AREA_CODES.length) % 100)).padStart(4, '0');
  const exchange = 555 - Math.floor(index / (AREA_CODES.length * 100)) * 10; // 555, 545, …: keeps numbers unique past 2,000
  const normalized = normalizeIdentity('PHONE', `+1${area}${exchange}${line}`, { defaultRegion: 'US' });
  return normalized.ok ? normalized.key.value : `+1${area}${exchange}${line}`;
}

function generateEvents(faker: Faker, sketch: CustomerSketch, createdAt: Date): EventRecord[] {
  const count = sketch.documented ? 24 : faker.number.int({ min: 4, max: 30 });
  const start = Math.max(createdAt.getTime(), DEMO_ANCHOR.getTime() - 90 * DAY);
  const events: EventRecord[] = [];
  for (let i = 0; i < count; i++) {
    const occurredAt = new Date(faker.number.int({ min: start, max: DEMO_ANCHOR.getTime() - 60_000 })).toISOString();
    const type = sketch.documented && i < 4 ? 'Order Completed' : faker.helpers.weightedArrayElement(EVENT_TYPES.map(([value, weight]) => ({ value, weight })));
    events.push({
      id: `evt_${sketch.id.replace(/^cus_/, '')}_${String(i).padStart(3, '0')}`,
      customerId: sketch.id,
      type,
      occurredAt,
      receivedAt: occurredAt,
      channel: faker.helpers.arrayElement(CHANNELS),
      source: 'demo',
      properties: eventProperties(faker, type),
    });
  }
  return events.sort((a, b) => a.occurredAt.localeCompare(b.occurredAt) || a.id.localeCompare(b.id));
}

function eventProperties(faker: Faker, type: string): Record<string, unknown> {
  switch (type) {
    case 'Page Viewed':
      return { path: faker.helpers.arrayElement(['/', '/sale', '/account', '/help', '/stores']) };
    case 'Product Viewed':
    case 'Product Added':
      return { productId: `sku-${faker.number.int({ min: 1000, max: 9999 })}`, price: faker.number.float({ min: 5, max: 400, fractionDigits: 2 }) };
    case 'Order Completed':
      return { orderId: `ord-${faker.string.alphanumeric(10)}`, total: faker.number.float({ min: 20, max: 600, fractionDigits: 2 }), items: faker.number.int({ min: 1, max: 6 }) };
    case 'Email Opened':
      return { campaign: faker.helpers.arrayElement(['autumn-sale', 'newsletter-44', 'loyalty-bonus']) };
    default:
      return { topic: faker.helpers.arrayElement(['delivery', 'returns', 'billing']) };
  }
}

function generateConsents(faker: Faker, sketch: CustomerSketch, createdAt: Date): ConsentRecord[] {
  const purposes: Purpose[] = ['MARKETING', 'PERSONALIZATION', 'ANALYTICS'];
  return purposes.map((purpose) => {
    const granted = sketch.documented ? (purpose === 'MARKETING' ? sketch.marketing === 'GRANTED' : true) : faker.number.float() < 0.6;
    return {
      purpose,
      status: granted ? 'GRANTED' : 'DENIED',
      channel: faker.helpers.arrayElement(['web', 'email', 'store']),
      updatedAt: new Date(createdAt.getTime() + faker.number.int({ min: 0, max: 30 }) * DAY).toISOString(),
      source: 'preference-centre',
    };
  });
}

function generateCrm(
  faker: Faker,
  sketch: CustomerSketch,
  crmId: string,
  contact: { firstName: string; lastName: string; email: string; phone: string },
): CrmContactRecord {
  const caseCount = sketch.documented ? 3 : faker.number.int({ min: 0, max: 3 });
  const cases: SupportCaseRecord[] = [];
  for (let i = 0; i < caseCount; i++) {
    const status = sketch.documented ? (['open', 'pending', 'closed'] as const)[i]! : faker.helpers.arrayElement(['open', 'pending', 'closed', 'closed']);
    cases.push({
      id: `case-${crmId.slice(4)}-${i + 1}`,
      subject: faker.helpers.arrayElement(['Late delivery', 'Refund request', 'Password reset', 'Damaged item', 'Billing question']),
      status,
      closed: status === 'closed',
      openedAt: new Date(DEMO_ANCHOR.getTime() - faker.number.int({ min: 1, max: 120 }) * DAY).toISOString(),
    });
  }
  cases.sort((a, b) => a.openedAt.localeCompare(b.openedAt));
  // The CRM knows its own contact id only; the customer's CRM_ID identity joins the two.
  return {
    crmId,
    accountManager: faker.person.fullName(),
    ...contact,
    cases,
  };
}

function generateLoyalty(faker: Faker, memberId: string, lifetimeValue: number): LoyaltyAccountRecord {
  const lifetimePoints = Math.round(lifetimeValue * 10) + faker.number.int({ min: 0, max: 30_000 });
  const tier = [...TIERS].reverse().find(([, min]) => lifetimePoints >= min)![0];
  // The loyalty system knows its own member id only; the customer's LOYALTY_ID identity joins the two.
  return {
    memberId,
    tier,
    pointsBalance: faker.number.int({ min: 0, max: lifetimePoints }),
    lifetimePoints,
    tierExpiresAt: new Date(DEMO_ANCHOR.getTime() + faker.number.int({ min: 30, max: 365 }) * DAY).toISOString(),
  };
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
