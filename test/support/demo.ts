import { generateDemoData } from '../../src/embedded/demoData.js';
import type { DemoData } from '../../src/embedded/demoData.js';
import { TEST_ENV } from './gateway.js';

let cached: DemoData | undefined;

/** The demo data set a test gateway holds (same seed and size as TEST_ENV). */
export function testDemoData(): DemoData {
  return (cached ??= generateDemoData({ customers: Number(TEST_ENV.C360_DEMO_CUSTOMERS), seed: 360 }));
}

export function demoCustomer(id: string) {
  const data = testDemoData();
  const customer = data.customers.find((c) => c.id === id);
  if (!customer) throw new Error(`no demo customer ${id}`);
  return {
    customer,
    events: data.events.filter((e) => e.customerId === id),
    crm: data.crm.find((c) => c.customerRef === id) ?? null,
    loyalty: data.loyalty.find((l) => l.customerRef === id) ?? null,
  };
}
