import { describe, expect, it } from 'vitest';
import type { CustomerRecord } from './domain/index.js';
import { sourceKeysOf } from './sourceKeys.js';

const identity = (type: string, value: string, firstSeenAt: string) => ({ type, value, source: 'test', firstSeenAt, lastSeenAt: firstSeenAt });

function record(identities: ReturnType<typeof identity>[]): CustomerRecord {
  return { id: 'cus_keys', identities } as unknown as CustomerRecord;
}

describe('source keys of a customer', () => {
  const identities = [
    identity('EMAIL', 'ana@example.org', '2026-01-01T00:00:00.000Z'),
    identity('CRM_ID', 'CRM-2', '2026-03-01T00:00:00.000Z'),
    identity('LOYALTY_ID', 'LOY-1', '2026-02-01T00:00:00.000Z'),
    identity('CRM_ID', 'CRM-1', '2026-02-01T00:00:00.000Z'),
    identity('CRM_ID', 'CRM-3', '2026-02-01T00:00:00.000Z'),
  ];

  it('are the CRM and loyalty ids, held longest first, then in the order the record holds them', () => {
    expect(sourceKeysOf(record(identities))).toEqual({ crm: ['CRM-1', 'CRM-3', 'CRM-2'], loyalty: ['LOY-1'] });
    expect(sourceKeysOf(record([]))).toEqual({ crm: [], loyalty: [] });
  });

  it('are worked out once for a frozen record, and again for one that may still change', () => {
    const frozen = Object.freeze(record(identities));
    expect(sourceKeysOf(frozen)).toBe(sourceKeysOf(frozen));
    const open = record([...identities]);
    const before = sourceKeysOf(open);
    (open.identities as unknown as Array<ReturnType<typeof identity>>).push(identity('LOYALTY_ID', 'LOY-0', '2025-12-01T00:00:00.000Z'));
    expect(before.loyalty).toEqual(['LOY-1']);
    expect(sourceKeysOf(open).loyalty).toEqual(['LOY-0', 'LOY-1']);
  });
});
