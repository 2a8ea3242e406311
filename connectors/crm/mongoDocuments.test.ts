import { ObjectId } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CRM_MAPPING } from './mapping.js';
import type { CrmMapping } from './mapping.js';
import { canonicalId, contactFromDocument, idString, uniqueQueryValues, valueAt } from './mongoDocuments.js';

/**
 * The MongoDB adapter's reading of documents and ids, with the BSON values
 * the driver hands back (ObjectId, Date, nested documents and arrays). The
 * adapter's queries run in test/contracts/crm.test.ts against a real server
 * when C360_TEST_MONGODB_URL is set.
 */
const MAPPING: CrmMapping = {
  ...DEFAULT_CRM_MAPPING,
  idField: 'contactNo',
  fields: { firstName: 'name.given', lastName: 'name.family', email: 'emails.address', phone: 'phone', accountManager: 'owner.name', cases: 'tickets' },
  caseFields: { id: 'ticketId', subject: 'title', status: 'state', openedAt: 'created.at' },
  closedStatuses: ['closed', 'resolved'],
};

describe('a CRM document read through the field mapping', () => {
  it('reads nested paths, the first array element that has a value, BSON dates and ids, and sorts cases oldest first', () => {
    const document = {
      _id: new ObjectId(),
      contactNo: 'C-1',
      name: { given: 'Ada', family: 'Lovelace' },
      emails: [{ label: 'old' }, { address: 'ada@example.com' }, { address: 'second@example.com' }],
      phone: 4_155_550_100,
      owner: { name: 'Grace', id: new ObjectId() },
      tickets: [
        { ticketId: 12, title: 'Refund', state: 'RESOLVED', created: { at: new Date('2026-10-02T00:00:00Z') } },
        { ticketId: new ObjectId('65f000000000000000000001'), title: 'Late', state: 'Open', created: { at: '2026-10-01T08:00:00+02:00' } },
      ],
    };
    expect(contactFromDocument('C-1', document, MAPPING)).toEqual({
      crmId: 'C-1',
      firstName: 'Ada',
      lastName: 'Lovelace',
      email: 'ada@example.com',
      phone: '4155550100',
      accountManager: 'Grace',
      cases: [
        { id: '65f000000000000000000001', subject: 'Late', status: 'Open', closed: false, openedAt: '2026-10-01T06:00:00.000Z' },
        { id: '12', subject: 'Refund', status: 'RESOLVED', closed: true, openedAt: '2026-10-02T00:00:00.000Z' },
      ],
    });
  });

  it('reads missing fields and a missing cases array as null and no cases', () => {
    expect(contactFromDocument('C-2', { contactNo: 'C-2' }, MAPPING)).toEqual({
      crmId: 'C-2',
      firstName: null,
      lastName: null,
      email: null,
      phone: null,
      accountManager: null,
      cases: [],
    });
  });

  it.each([
    ['cases that are not an array', { tickets: 'none' }, 'cases invalid_type'],
    ['a name that is a document', { name: { given: { nickname: 'Zelda' } } }, 'firstName invalid_type'],
    ['a case without a usable date', { tickets: [{ ticketId: 'T', title: 'x', state: 'open', created: { at: 'soon' } }] }, 'cases.0.openedAt'],
    ['a case without an id', { tickets: [{ title: 'x', state: 'open', created: { at: new Date() } }] }, 'cases.0.id invalid_type'],
  ])('refuses %s with the path, never the value', (_name, document, fragment) => {
    const result = contactFromDocument('C-3', document, MAPPING);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toContain(fragment);
    expect((result as Error).message).not.toMatch(/none|soon|Zelda/);
  });
});

describe('CRM ids as query values', () => {
  it.each([
    ['string', ['a', '', '{"$ne":null}', 'a'], ['a', '{"$ne":null}']],
    ['number', ['1001', '01001', '-7', 'abc', '1e3', '12345678901234567'], [1001, -7]],
  ] as const)('%s ids: one value per id, ids that cannot be of the type left out', (type, ids, values) => {
    expect(uniqueQueryValues(ids, type)).toEqual(values);
  });

  it('objectId ids: 24 hex digits in either case, as ObjectIds', () => {
    const values = uniqueQueryValues(['65F000000000000000000001', '65f000000000000000000001', 'not-hex', '65f0'], 'objectId');
    expect(values).toEqual([new ObjectId('65f000000000000000000001')]);
  });

  it('matches stored ids to asked ids by one spelling per type', () => {
    expect([canonicalId('01001', 'number'), idString(1001, 'number'), idString('1001', 'number')]).toEqual(['1001', '1001', undefined]);
    const id = new ObjectId();
    expect([canonicalId(id.toHexString().toUpperCase(), 'objectId'), idString(id, 'objectId'), idString(id.toHexString(), 'objectId')]).toEqual([
      id.toHexString(),
      id.toHexString(),
      undefined,
    ]);
    expect([idString('C-1', 'string'), idString(7, 'string')]).toEqual(['C-1', undefined]);
  });

  it('refuses ids that are not strings before they reach a query', () => {
    expect(() => uniqueQueryValues([{ $ne: null } as unknown as string], 'string')).toThrow('CRM ids must be strings');
  });
});

describe('valueAt', () => {
  it('walks documents and arrays, and stops at values that are not documents', () => {
    const document = { a: { b: [{ c: null }, { c: 2 }] }, s: 'text', d: new Date(0) };
    expect([valueAt(document, 'a.b.c'), valueAt(document, 's.length'), valueAt(document, 'd.getTime'), valueAt(document, 'x.y')]).toEqual([2, undefined, undefined, undefined]);
  });
});
