import type { CustomerRecord } from '../../src/domain/index.js';

/** A customer record with nothing in it but what the test gives: no identities, consents, segments or orders. */
export function customerRecord(id: string, fields: Partial<CustomerRecord> = {}): CustomerRecord {
  return {
    id,
    createdAt: '2026-11-01T00:00:00.000Z',
    updatedAt: '2026-11-01T00:00:00.000Z',
    profile: {},
    identities: [],
    consents: [],
    segments: [],
    traits: { orderCount: 0 },
    ...fields,
  };
}
