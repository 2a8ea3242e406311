import type { AuditRecordModel, IdentityKey } from './port.js';

/** Identity index key: one item per normalized identifier. */
export function identityIndexKey(key: IdentityKey): string {
  return `${key.type}#${key.value}`;
}

/** Timeline sort key: ISO timestamps of one width sort as strings, the id breaks ties. */
export function eventSortKey(occurredAt: string, id: string): string {
  return `${occurredAt}#${id}`;
}

/** An audit record as items: one per customer, naming only that customer, with only that customer's fields. */
export function auditItems(record: AuditRecordModel): Array<Record<string, unknown>> {
  const customers = record.customerIds.length > 0 ? record.customerIds : ['-'];
  return customers.map((customerId) => ({
    ...record,
    customerIds: [customerId],
    fields: JSON.stringify(
      record.fields.filter((field) => !field.customerId || field.customerId === customerId).map(({ customerId: _owner, ...field }) => field),
    ),
    customerId,
    sk: `${record.at}#${record.id}`,
  }));
}
