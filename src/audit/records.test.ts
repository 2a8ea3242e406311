import { describe, expect, it } from 'vitest';
import type { FieldDecisionRecord } from '../domain/index.js';
import { MAX_FIELDS_BYTES, readRecords, safeOperation, writeRecord } from './records.js';
import type { ReleasesByCustomer } from './records.js';

const actor = { principal: 'key:partner', purpose: 'SUPPORT' as const, traceId: 'abc', operation: 'query Batch' };
const release = (customerId: string | undefined, path: string) => ({ path, piiClass: 'CONTACT', decision: 'allow', reason: null, customerId });
/** Releases as the privacy plugin hands them over: by customer, in the order they were recorded. */
const byCustomer = (releases: ReadonlyArray<ReturnType<typeof release>>): ReleasesByCustomer => {
  const grouped = new Map<string | undefined, FieldDecisionRecord[]>();
  for (const { customerId, ...field } of releases) grouped.set(customerId, [...(grouped.get(customerId) ?? []), field]);
  return grouped;
};

describe('audit records', () => {
  it('keeps one record per customer, naming that customer only, with its fields only', () => {
    const records = readRecords(actor, byCustomer([release('cus_a', 'customers.0.profile.email'), release('cus_b', 'customers.1.profile.email'), release('cus_a', 'customers.0.profile.phone')]), '2026-12-01T00:00:00.000Z');
    expect(records.map(({ id: _id, ...record }) => record)).toEqual([
      {
        at: '2026-12-01T00:00:00.000Z',
        principal: 'key:partner',
        purpose: 'SUPPORT',
        operation: 'query Batch',
        customerIds: ['cus_a'],
        fields: [
          { path: 'customers.0.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null },
          { path: 'customers.0.profile.phone', piiClass: 'CONTACT', decision: 'allow', reason: null },
        ],
        traceId: 'abc',
      },
      {
        at: '2026-12-01T00:00:00.000Z',
        principal: 'key:partner',
        purpose: 'SUPPORT',
        operation: 'query Batch',
        customerIds: ['cus_b'],
        fields: [{ path: 'customers.1.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null }],
        traceId: 'abc',
      },
    ]);
    expect(new Set(records.map((record) => record.id)).size).toBe(2);
  });

  it('splits a large release into parts, each under the bound, together holding every field in order', () => {
    const releases = Array.from({ length: 3000 }, (_, i) => release('cus_a', `customers.${i}.identities.0.value`));
    const records = readRecords(actor, byCustomer(releases), '2026-12-01T00:00:00.000Z');
    expect(records.length).toBeGreaterThan(1);
    expect(records.map((record) => record.detail)).toEqual(records.map((_r, i) => ({ part: i + 1, parts: records.length })));
    for (const record of records) expect(Buffer.byteLength(JSON.stringify(record.fields))).toBeLessThanOrEqual(MAX_FIELDS_BYTES);
    expect(records.flatMap((record) => record.fields.map((field) => field.path))).toEqual(releases.map((r) => r.path));
  });

  it('files a release whose owner is unknown apart, never under a customer', () => {
    expect(readRecords(actor, byCustomer([release(undefined, 'x.y')]), '2026-12-01T00:00:00.000Z').map((record) => record.customerIds)).toEqual([['-']]);
  });

  it.each([
    ['a GraphQL name', 'query CustomerCard', 'query CustomerCard'],
    ['characters outside the allow-list', 'query A<script>"\n', 'query A_script___'],
    ['an over-long name, cut', `query ${'x'.repeat(400)}`, `query ${'x'.repeat(266)}`],
  ])('lets only allow-listed characters of %s reach a record', (_case, operation, stored) => {
    expect(writeRecord({ ...actor, operation }, 'cus_a', { change: 'consent' }, '2026-12-01T00:00:00.000Z').operation).toBe(stored);
    expect(safeOperation(operation)).toBe(stored);
  });
});
