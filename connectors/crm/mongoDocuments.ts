import { ObjectId } from 'mongodb';
import type { Document } from 'mongodb';
import { malformedPayload } from '../resilience/sourceError.js';
import type { CrmIdType, CrmMapping } from './mapping.js';
import type { CrmContactRecord } from './port.js';
import { crmContactSchema } from './schemas.js';

/**
 * How the MongoDB adapter turns CRM ids into query values and the CRM's own
 * documents into contact records, through the field mapping (mapping.ts).
 * Kept apart from the adapter so it can be checked without a server.
 */

/** A contact document read through the mapping; an Error when it does not fit the port (paths and issue codes only, never values). */
export function contactFromDocument(crmId: string, document: Document, mapping: CrmMapping): CrmContactRecord | Error {
  const { fields, caseFields, closedStatuses } = mapping;
  const cases = valueAt(document, fields.cases);
  const contact = {
    crmId,
    firstName: text(valueAt(document, fields.firstName)),
    lastName: text(valueAt(document, fields.lastName)),
    email: text(valueAt(document, fields.email)),
    phone: text(valueAt(document, fields.phone)),
    accountManager: text(valueAt(document, fields.accountManager)),
    cases: Array.isArray(cases)
      ? cases.map((supportCase: unknown) => {
          const status = text(valueAt(supportCase, caseFields.status));
          return {
            id: text(valueAt(supportCase, caseFields.id)),
            subject: text(valueAt(supportCase, caseFields.subject)),
            status,
            closed: typeof status === 'string' && closedStatuses.includes(status.toLowerCase()),
            openedAt: instant(valueAt(supportCase, caseFields.openedAt)),
          };
        })
      : (cases ?? []),
  };
  const parsed = crmContactSchema.safeParse(contact);
  if (!parsed.success) return malformedPayload('crm', parsed.error.issues);
  return { ...parsed.data, cases: [...parsed.data.cases].sort((a, b) => a.openedAt.localeCompare(b.openedAt)) };
}

/** The asked ids as values of the id field's type, without repeats; ids that cannot be of that type are left out. */
export function uniqueQueryValues(crmIds: readonly string[], type: CrmIdType): unknown[] {
  const values = new Map<string, unknown>();
  for (const crmId of crmIds) {
    if (typeof crmId !== 'string') throw new TypeError('CRM ids must be strings');
    const key = canonicalId(crmId, type);
    if (key === undefined || values.has(key)) continue;
    values.set(key, type === 'number' ? Number(key) : type === 'objectId' ? ObjectId.createFromHexString(key) : key);
  }
  return [...values.values()];
}

/** The one spelling of an id of this type, or undefined when the string cannot be one. */
export function canonicalId(crmId: string, type: CrmIdType): string | undefined {
  switch (type) {
    case 'string':
      return crmId.length > 0 ? crmId : undefined;
    case 'number':
      return /^-?\d{1,15}$/.test(crmId) ? String(Number(crmId)) : undefined;
    case 'objectId':
      return /^[0-9a-fA-F]{24}$/.test(crmId) ? crmId.toLowerCase() : undefined;
  }
}

/** A stored id in its canonical spelling; a value of another type matches no asked id. */
export function idString(value: unknown, type: CrmIdType): string | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'number':
      return typeof value === 'number' && Number.isSafeInteger(value) ? String(value) : undefined;
    case 'objectId':
      return value instanceof ObjectId ? value.toHexString() : undefined;
  }
}

/** The value at a dotted path; an array on the way yields the first element that has one. */
export function valueAt(value: unknown, path: string): unknown {
  let current: unknown[] = [value];
  for (const segment of path.split('.')) {
    const next: unknown[] = [];
    for (const item of current.flatMap((entry) => (Array.isArray(entry) ? entry : [entry]))) {
      if (item !== null && typeof item === 'object' && !(item instanceof Date) && segment in item) next.push((item as Record<string, unknown>)[segment]);
    }
    if (next.length === 0) return undefined;
    current = next;
  }
  const found = current.find((item) => item !== undefined && item !== null);
  return found ?? (current.length > 0 ? current[0] : undefined);
}

/** Text fields: strings as they are, numbers and ObjectIds as their text; anything else is left for the schema to refuse. */
function text(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'number' || value instanceof ObjectId) return String(value);
  return value;
}

/** A BSON date, an epoch number or a date string, as ISO 8601; anything else is left for the schema to refuse. */
function instant(value: unknown): unknown {
  const date = value instanceof Date ? value : typeof value === 'number' || typeof value === 'string' ? new Date(value) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : value;
}
