/**
 * How the MongoDB adapter reads the CRM's own contact collection: which
 * field holds the contact id and of what BSON type, and where each field the
 * gateway needs lives (docs/integration.md). Paths are dotted
 * (`owner.name`); a path through an array takes the first element that has
 * the value. An existing CRM collection is read as it is.
 */
export type CrmIdType = 'string' | 'objectId' | 'number';

export const CONTACT_FIELDS = ['firstName', 'lastName', 'email', 'phone', 'accountManager', 'cases'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];

export const CASE_FIELDS = ['id', 'subject', 'status', 'openedAt'] as const;
export type CaseField = (typeof CASE_FIELDS)[number];

export interface CrmMapping {
  readonly collection: string;
  /** The field holding the contact id: the value of a customer's `CRM_ID` identity. */
  readonly idField: string;
  readonly idType: CrmIdType;
  /** Contact field → document path; `cases` names an array of case subdocuments. */
  readonly fields: Readonly<Record<ContactField, string>>;
  /** Case field → path inside one case subdocument. */
  readonly caseFields: Readonly<Record<CaseField, string>>;
  /** Case statuses that count as closed, lower-cased; compared ignoring case. */
  readonly closedStatuses: readonly string[];
}

export const DEFAULT_CRM_MAPPING: CrmMapping = {
  collection: 'contacts',
  idField: '_id',
  idType: 'string',
  fields: { firstName: 'firstName', lastName: 'lastName', email: 'email', phone: 'phone', accountManager: 'accountManager', cases: 'cases' },
  caseFields: { id: 'id', subject: 'subject', status: 'status', openedAt: 'openedAt' },
  closedStatuses: ['closed'],
};

/** A document path: dot-separated field names, none starting with `$`, none numeric. */
export const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*$/;

/**
 * MongoDB refuses a projection where one path is a prefix of another
 * ("path collision"); this names the first such pair so configuration can
 * refuse it at start.
 */
export function projectionCollision(paths: readonly string[]): [string, string] | undefined {
  for (const a of paths) {
    for (const b of paths) {
      if (a !== b && b.startsWith(`${a}.`)) return [a, b];
    }
  }
  return undefined;
}

/** The paths the adapter projects: the id, each contact field, and each case field under the cases array. */
export function projectedPaths(mapping: CrmMapping): string[] {
  const { cases, ...contact } = mapping.fields;
  const casePaths = Object.values(mapping.caseFields).map((path) => `${cases}.${path}`);
  return [...new Set([mapping.idField, ...Object.values(contact), ...casePaths])];
}
