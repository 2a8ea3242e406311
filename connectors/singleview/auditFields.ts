import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import type { FieldDecisionRecord } from '../../src/domain/index.js';
import { oncePerFrozen } from '../shared/trustedRecords.js';

/**
 * An audit record's field decisions as stored: small enough that a full
 * customer read's record fits one DynamoDB write unit (1 KB). A read releases
 * the same few fields once per list element (`customer.consents.0.status`,
 * `customer.consents.1.status`, …), so the decisions are grouped by what was
 * decided (class, decision, reason, owner) and, within a group, by path
 * template (`customer.consents.#.status`) with the list indices as ranges
 * (`0-5`), and that JSON is deflated (zlib, raw): the call-centre read's
 * 101 decisions go from 8 KB of JSON to 2 KB grouped and about 0.5 KB
 * deflated. Lossless but for order: decoded decisions come sorted by path
 * (list indices in numeric order); the order of a record's fields means
 * nothing.
 *
 * Stored form: a binary attribute, the deflated JSON
 * `{"v":2,"g":[[piiClass, decision, reason, customerId, [[template, indices], …]], …]}`;
 * records written before it hold a JSON string of an array of decisions, still read.
 */
export const AUDIT_FIELDS_VERSION = 2;

type Group = [string, string, string | null, string | null, Array<[string, string]>];

export function encodeFieldDecisions(fields: readonly FieldDecisionRecord[]): Uint8Array {
  // A frozen list (the privacy ledger's, shared by the requests of one plan; an intent's) is encoded and deflated once:
  // a read from the embedded store spent about 90 µs of its main thread on this per audit record (bench/README.md).
  return oncePerFrozen(encodings, fields, () => encodedByContent(fields));
}

/** Shared by every item written from the same frozen list: nothing writes into a stored attribute's bytes. */
const encodings = new WeakMap<readonly FieldDecisionRecord[], Uint8Array>();

/**
 * The encoding of a list of frozen decisions, by which decisions it holds.
 * The ledger's decisions are shared frozen objects (one per path, class and
 * action), but a read whose resolvers answer in another order than the last
 * one's (a source that answers later) records them in another order, in a
 * list of its own; the stored form does not keep the order (decoded
 * decisions come sorted), so lists of the same decisions share one encoding.
 */
function encodedByContent(fields: readonly FieldDecisionRecord[]): Uint8Array {
  const ids: number[] = [];
  for (const field of fields) {
    if (!Object.isFrozen(field)) return encodeGroups(fields);
    let id = decisionIds.get(field);
    if (id === undefined) decisionIds.set(field, (id = nextDecisionId++));
    ids.push(id);
  }
  const key = ids.sort((a, b) => a - b).join(',');
  let encoded = encodingsByContent.get(key);
  if (encoded === undefined) encodingsByContent.set(key, (encoded = encodeGroups(fields)));
  return encoded;
}

const decisionIds = new WeakMap<FieldDecisionRecord, number>();
let nextDecisionId = 0;
/** Lists of decisions seen lately, by content: a gateway's operations release a few shapes over and over. */
const encodingsByContent = new LRUCache<string, Uint8Array>({ max: 1_000 });

function encodeGroups(fields: readonly FieldDecisionRecord[]): Uint8Array {
  const groups = new Map<string, { group: Group; templates: Map<string, string[]> }>();
  for (const field of fields) {
    const meta = `${field.piiClass}\u0000${field.decision}\u0000${field.reason ?? '\u0001'}\u0000${field.customerId ?? '\u0001'}`;
    let entry = groups.get(meta);
    if (!entry) {
      entry = { group: [field.piiClass, field.decision, field.reason ?? null, field.customerId ?? null, []], templates: new Map() };
      groups.set(meta, entry);
    }
    const [template, indices] = templateOfPath(field.path);
    const list = entry.templates.get(template);
    if (list) list.push(indices);
    else entry.templates.set(template, [indices]);
  }
  const encoded = [...groups.values()].map(({ group, templates }) => {
    group[4] = [...templates].map(([template, indices]) => [template, encodeIndices(indices)]);
    return group;
  });
  return deflateRawSync(JSON.stringify({ v: AUDIT_FIELDS_VERSION, g: encoded }));
}

/**
 * An upper bound of the fields' JSON: every UTF-16 unit as 3 bytes. A frozen
 * list (the privacy ledger's, shared by the requests of one plan) is
 * measured once.
 */
export function sizeBound(fields: readonly FieldDecisionRecord[]): number {
  return oncePerFrozen(sizeBounds, fields, () => {
    let bound = 2;
    for (const field of fields) bound += (field.path.length + field.piiClass.length + field.decision.length + (field.reason?.length ?? 4)) * 3 + 56;
    return bound;
  });
}

const sizeBounds = new WeakMap<readonly FieldDecisionRecord[], number>();

/** Whether any of the fields names its customer (a record about several): a frozen list is looked at once. */
export function namesCustomers(fields: readonly FieldDecisionRecord[]): boolean {
  return oncePerFrozen(namingLists, fields, () => fields.some((field) => field.customerId));
}

const namingLists = new WeakMap<readonly FieldDecisionRecord[], boolean>();

/** Paths seen lately, with their template and indices: a read releases the same paths as the reads before it. */
const TEMPLATES = new Map<string, readonly [string, string]>();
const TEMPLATES_KEPT = 10_000;

/** `customer.consents.3.status` → [`customer.consents.#.status`, `3`] (indices joined by `.` when a path has several). */
function templateOfPath(path: string): readonly [string, string] {
  let known = TEMPLATES.get(path);
  if (known) return known;
  const indices: string[] = [];
  const template = path
    .split('.')
    .map((segment) => {
      if (!/^\d+$/.test(segment)) return segment;
      indices.push(segment);
      return '#';
    })
    .join('.');
  known = [template, indices.join('.')];
  if (TEMPLATES.size >= TEMPLATES_KEPT) TEMPLATES.clear();
  TEMPLATES.set(path, known);
  return known;
}

/** The stored binary back as the JSON it deflates. */
export function inflateFieldDecisions(stored: Uint8Array): unknown {
  return JSON.parse(inflateRawSync(stored).toString('utf8')) as unknown;
}

/** `0,1,2,3,7` → `0-3,7` for one list index per path; several per path (`0.1`) are listed as they are. */
function encodeIndices(indices: readonly string[]): string {
  if (indices.some((index) => index.includes('.') || index === '')) return indices.join(',');
  const numbers = [...new Set(indices.map(Number))].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j]! + 1) j++;
    parts.push(j > i ? `${numbers[i]}-${numbers[j]}` : `${numbers[i]}`);
    i = j + 1;
  }
  return parts.join(',');
}

function decodeIndices(text: string): string[][] {
  return text.split(',').flatMap((part) => {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (!range) return [part === '' ? [] : part.split('.')];
    const out: string[][] = [];
    for (let n = Number(range[1]); n <= Number(range[2]); n++) out.push([String(n)]);
    return out;
  });
}

/** The stored form back as decisions, or undefined when `value` is not that form. */
export function decodeFieldDecisions(value: unknown): Array<Record<string, unknown>> | undefined {
  if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== AUDIT_FIELDS_VERSION) return undefined;
  const groups = (value as { g?: unknown }).g;
  if (!Array.isArray(groups)) return undefined;
  const fields: Array<Record<string, unknown>> = [];
  for (const group of groups as unknown[][]) {
    const [piiClass, decision, reason, customerId, templates] = group;
    if (!Array.isArray(templates)) return undefined;
    for (const [template, indices] of templates as Array<[unknown, unknown]>) {
      if (typeof template !== 'string' || typeof indices !== 'string') return undefined;
      for (const tuple of decodeIndices(indices)) {
        let next = 0;
        const path = template
          .split('.')
          .map((segment) => (segment === '#' ? (tuple[next++] ?? '') : segment))
          .join('.');
        fields.push({ path, piiClass, decision, reason, ...(customerId === null ? {} : { customerId }) });
      }
    }
  }
  return sortFieldDecisions(fields);
}

/** Decisions as every store hands them back: sorted by path, list indices in numeric order. */
export function sortFieldDecisions<T extends object>(fields: T[]): T[] {
  return fields.sort((a, b) => comparePathText(String((a as { path?: unknown }).path), String((b as { path?: unknown }).path)));
}

/** Path order with list indices compared as numbers. */
function comparePathText(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    const numeric = /^\d+$/.test(x[i]!) && /^\d+$/.test(y[i]!);
    if (numeric) return Number(x[i]) - Number(y[i]);
    return x[i]! < y[i]! ? -1 : 1;
  }
  return x.length - y.length;
}
