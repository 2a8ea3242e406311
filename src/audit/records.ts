import { randomUUID } from 'node:crypto';
import { sizeBound } from '../../connectors/singleview/auditFields.js';
import type { AuditRecordModel, FieldDecisionRecord, Purpose } from '../domain/index.js';

/**
 * How audit records are built (docs/privacy.md, "Audit"): one record per
 * customer, never naming another; a release too large for one record is
 * split into parts; the operation is bounded and only allow-listed
 * characters reach it. Values are never recorded, only paths and classes.
 */

/** An operation name longer than this is refused before anything runs (src/audit/operationName.ts). */
export const MAX_OPERATION_LENGTH = 256;
/**
 * Field decisions per record, by the size of their JSON: far below
 * DynamoDB's 400 KB item limit, so a record with its other attributes and the
 * store's own overhead always fits, and one read of a trail page stays small.
 */
export const MAX_FIELDS_BYTES = 64 * 1024;
/** Partition of records that concern no customer (key administration). Not a customer id: `auditTrail` cannot name it. */
export const KEY_ADMIN_TRAIL = '@keys';
/** Partition of releases whose owner is unknown (a model without one; none is expected). */
export const UNKNOWN_OWNER_TRAIL = '-';

const UNSAFE = /[^A-Za-z0-9_ .:-]/g;

/** Who did it and why: the same for every record of one request or command. */
export interface AuditActor {
  /** `key:<keyId>`, `agent:<sub>`, `customer:<keyed pseudonym of the login>` or `operator:<name>`. */
  readonly principal: string;
  readonly purpose: Purpose | null;
  readonly traceId: string | null;
  /** `query Audience` for reads; the write's name for writes (`setConsent`, `keys revoke`). */
  readonly operation: string;
}

/**
 * A read's released fields, as the privacy layer reports them: by the
 * customer they belong to (undefined when the owner is unknown), each field
 * already in its stored shape, so that a read's ~100 decisions are not copied
 * again on their way to the store.
 */
export type ReleasesByCustomer = ReadonlyMap<string | undefined, readonly FieldDecisionRecord[]>;

export type AuditDetail = Readonly<Record<string, string | number>>;

/** The operation as it may be stored: bounded, allow-listed characters only. */
export function safeOperation(operation: string): string {
  // A gateway's clients send a small set of operations: each is made safe once. A plain Map, emptied when
  // full, rather than an LRU: every read looks its operation up, and an LRU's get also moves the entry.
  let safe = safeOperations.get(operation);
  if (safe === undefined) {
    if (safeOperations.size >= SAFE_OPERATIONS_KEPT) safeOperations.clear();
    safeOperations.set(operation, (safe = operation.slice(0, MAX_OPERATION_LENGTH + 16).replace(UNSAFE, '_')));
  }
  return safe;
}

const SAFE_OPERATIONS_KEPT = 1_000;
const safeOperations = new Map<string, string>();

/**
 * A read's records: one per customer whose data was released, each split into parts of at most MAX_FIELDS_BYTES.
 * `firstIds`: the id a customer's first part takes (its intent record's, which it then replaces).
 */
export function readRecords(actor: AuditActor, releases: ReleasesByCustomer, at: string, firstIds?: ReadonlyMap<string, string>): AuditRecordModel[] {
  const records: AuditRecordModel[] = [];
  for (const [owner, fields] of releases) {
    if (fields.length === 0) continue;
    const customerId = owner ?? UNKNOWN_OWNER_TRAIL;
    const parts = chunkBySize(fields, MAX_FIELDS_BYTES);
    const firstId = firstIds?.get(customerId);
    parts.forEach((part, i) => records.push(record(actor, customerId, at, part, parts.length > 1 ? { part: i + 1, parts: parts.length } : null, i === 0 ? firstId : undefined)));
  }
  return records;
}

/** What `detail.stage` of a read's intent record says: written before the sources answered, replaced by the record of what was released. */
export const INTENT_STAGE = 'intent';

/**
 * A read's intent record on one customer's trail (src/audit/readAudit.ts):
 * the fields the read may release, as path templates, marked
 * `detail: { stage: "intent" }`; null when it would not fit one record
 * (the read then waits for its full record instead).
 */
export function intentRecord(actor: AuditActor, customerId: string, fields: readonly FieldDecisionRecord[], at: string): AuditRecordModel | null {
  if (chunkBySize(fields, MAX_FIELDS_BYTES).length > 1) return null;
  return record(actor, customerId, at, fields, { stage: INTENT_STAGE });
}

/** A write's record on one customer's trail: what changed, in counts and types, never values. */
export function writeRecord(actor: AuditActor, customerId: string, detail: AuditDetail, at: string): AuditRecordModel {
  return record(actor, customerId, at, [], detail);
}

function record(actor: AuditActor, customerId: string, at: string, fields: readonly FieldDecisionRecord[], detail: AuditDetail | null, id?: string): AuditRecordModel {
  const made: AuditRecordModel = {
    id: id ?? randomUUID(),
    at,
    principal: actor.principal,
    purpose: actor.purpose,
    operation: safeOperation(actor.operation),
    customerIds: [customerId],
    fields,
    traceId: actor.traceId,
  };
  // A read's record has no detail: added only when there is one, without spreading a record on every read.
  return detail ? { ...made, detail } : made;
}

/**
 * A field decision's size in its record's JSON: its strings (UTF-8) and the
 * JSON around them (keys, quotes, commas), without stringifying it.
 */
function fieldBytes(field: FieldDecisionRecord): number {
  const JSON_AROUND = 56; // {"path":"","piiClass":"","decision":"","reason":""},
  return Buffer.byteLength(field.path) + field.piiClass.length + field.decision.length + (field.reason?.length ?? 4) + JSON_AROUND;
}

function chunkBySize(fields: readonly FieldDecisionRecord[], maxBytes: number): Array<readonly FieldDecisionRecord[]> {
  // A UTF-8 character is at most 3 bytes per UTF-16 unit: when even that bound fits, nothing is measured.
  if (sizeBound(fields) <= maxBytes) return [fields];
  const chunks: FieldDecisionRecord[][] = [];
  let current: FieldDecisionRecord[] = [];
  let bytes = 2;
  for (const field of fields) {
    const size = fieldBytes(field);
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 2;
    }
    current.push(field);
    bytes += size;
  }
  if (current.length > 0 || chunks.length === 0) chunks.push(current);
  return chunks;
}
