import { generateDemoData } from '../../src/embedded/demoData.js';
import { loadSegmentFile } from '../../src/segments/definitions.js';
import { evaluateMemberships } from '../../src/segments/evaluate.js';
import type { DemoData } from '../../src/embedded/demoData.js';
import type { CrmContactRecord } from '../../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../../connectors/loyalty/port.js';
import { TEST_ENV } from './gateway.js';

let cached: DemoData | undefined;

/**
 * The demo data set a test gateway holds (same seed and size as TEST_ENV), with each customer's memberships
 * evaluated again at the current time, as the gateway's load does (src/segments/indexedLoad.ts). Weeks after the
 * demo anchor every time window of the bundled segments has closed, so the time of the gateway's start and this
 * one's give the same memberships.
 */
export function testDemoData(): DemoData {
  if (cached) return cached;
  const specs = loadSegmentFile().segments;
  const data = generateDemoData({ customers: Number(TEST_ENV.C360_DEMO_CUSTOMERS), seed: 360 });
  const now = new Date();
  const customers = data.customers.map((c) => ({ ...c, segments: evaluateMemberships(specs, { traits: c.traits, consents: c.consents, lastEventAt: c.lastEventAt ?? {} }, c.segments, now) }));
  return (cached = { ...data, customers });
}

export function demoCustomer(id: string) {
  const data = testDemoData();
  const customer = data.customers.find((c) => c.id === id);
  if (!customer) throw new Error(`no demo customer ${id}`);
  return {
    customer,
    events: data.events.filter((e) => e.customerId === id),
    crm: crmOf(id, data),
    loyalty: loyaltyOf(id, data),
    crmRecords: crmRecordsOf(id, data),
    loyaltyAccounts: loyaltyAccountsOf(id, data),
  };
}

/** A demo customer's values of one identity type, the one held longest first (how the gateway orders a customer's records). */
function identityValues(id: string, type: 'CRM_ID' | 'LOYALTY_ID', data: DemoData): string[] {
  const identities = data.customers.find((c) => c.id === id)?.identities ?? [];
  return identities
    .filter((i) => i.type === type)
    .sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt))
    .map((i) => i.value);
}

/** Every CRM contact of a demo customer (Customer.crmRecords): one per CRM_ID the CRM knows. */
export function crmRecordsOf(id: string, data: DemoData = testDemoData()): CrmContactRecord[] {
  return identityValues(id, 'CRM_ID', data).flatMap((crmId) => data.crm.filter((c) => c.crmId === crmId));
}

/** Every loyalty membership of a demo customer (Customer.loyaltyAccounts): one per LOYALTY_ID the loyalty system knows. */
export function loyaltyAccountsOf(id: string, data: DemoData = testDemoData()): LoyaltyAccountRecord[] {
  return identityValues(id, 'LOYALTY_ID', data).flatMap((memberId) => data.loyalty.filter((m) => m.memberId === memberId));
}

/** A demo customer's value of one identity type (the CRM and loyalty systems know only these, not c360's ids). */
function identityValue(id: string, type: 'CRM_ID' | 'LOYALTY_ID', data: DemoData): string | undefined {
  return data.customers.find((c) => c.id === id)?.identities.find((i) => i.type === type)?.value;
}

/** The CRM contact of a demo customer, found as the gateway finds it: by the customer's CRM_ID. */
export function crmOf(id: string, data: DemoData = testDemoData()): CrmContactRecord | null {
  const crmId = identityValue(id, 'CRM_ID', data);
  return data.crm.find((c) => c.crmId === crmId) ?? null;
}

/** The loyalty membership of a demo customer, by the customer's LOYALTY_ID. */
export function loyaltyOf(id: string, data: DemoData = testDemoData()): LoyaltyAccountRecord | null {
  const memberId = identityValue(id, 'LOYALTY_ID', data);
  return data.loyalty.find((m) => m.memberId === memberId) ?? null;
}
