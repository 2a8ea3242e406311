import { Kind, TypeInfo, getNamedType, getNullableType, isObjectType, visit, visitWithTypeInfo } from 'graphql';
import type { DocumentNode, ExecutionResult, FieldNode, GraphQLSchema, OperationDefinitionNode, SelectionSetNode } from 'graphql';
import type { PiiClass, Purpose } from '../domain/index.js';
import { PlanCache } from '../graphql/operationPlan.js';
import type { Classification } from './classification.js';
import type { PrivacyLedger, Release } from './ledger.js';
import { OWNER_KEY, RESPONSE_PLAN_CACHE_SIZE } from './responsePlan.js';

/**
 * A read released by its plan: no personal field decided one by one.
 *
 * A call-centre screen reads one customer, for a purpose that releases every
 * class it selects as is, whoever the customer (`support`). Every value it
 * answers is then released, and which ones those are depends only on where
 * the answer has a value, a null, a list of some length, and (for event
 * properties, decided by the tracking plan's class for the event's type and
 * the property's name) which properties each event carries. Such an
 * operation runs on a schema with no privacy wrapper at all and, in a
 * document that tags only the customer with its owner and each event that
 * selects its properties with its type; its answer's marks (every key, null
 * or not, list lengths, property names, event types) are read in one pass,
 * and an answer whose marks are those of one the full decision has made
 * before gets that answer's release list whole.
 *
 * The first answer of each shape, and any answer with an error, goes the
 * usual way: the operation runs again, on the schema whose parts, event
 * properties and addresses decide themselves and whose values the response
 * walk decides (src/privacy/responseWalk.ts), with the request's loaders (so
 * no source is called twice). Its list is kept for the shape only when that
 * full decision released everything as is, withheld nothing and had one
 * owner, the customer: the same releases, with the same paths and classes,
 * as a later answer of that shape would get from it (test/privacy-audit-
 * invariant.test.ts and test/released-by-plan.test.ts compare them).
 *
 * Only where every object the document can reach belongs to the customer it
 * reads (OWNED_BY_CUSTOMER), so that one owner is right for every value; not
 * for `customers(ids:)`, the identity graph or anything about another
 * customer. Kept per plan (dropped with it) and purpose, up to
 * MAX_SHAPES_PER_PLAN shapes; property names and event types are
 * remembered up to MAX_NAMES, after which a new one is decided the usual way.
 */

/** The response key of the event type the document adds beside `properties` (taken out before the answer leaves). */
export const TYPE_KEY = '_c360Type';

/** Types whose every object in a customer's answer belongs to that customer (their models carry its id). */
export const OWNED_BY_CUSTOMER: ReadonlySet<string> = new Set([
  'Customer',
  'Profile',
  'Address',
  'Identity',
  'Consent',
  'ConsentChange',
  'SegmentMembership',
  'Segment',
  'LoyaltyAccount',
  'CrmRecord',
  'SupportCase',
  'Traits',
  'EventConnection',
  'EventEdge',
  'Event',
  'PageInfo',
]);

/** Root fields that answer one customer, found by what the caller holds. */
const ONE_CUSTOMER_ROOTS: ReadonlySet<string> = new Set(['customer', 'customerByIdentity']);

export const MAX_SHAPES_PER_PLAN = 32;
export const MAX_NAMES = 10_000;
/**
 * An answer of a shape not kept runs twice (once to read its marks, once
 * decided value by value). While fewer than half of a plan's recent answers
 * were of kept shapes (customers of many shapes, or more shapes than are
 * kept), its reads are decided value by value at once, and only one in
 * PROBE_EVERY tries its marks, so that a workload that turns repetitive
 * finds them again.
 */
export const PROBE_EVERY = 64;
const HIT_RATE_FLOOR = 0.5;
/** The weight of the latest answer in the recent hit rate (an exponentially weighted average). */
const HIT_RATE_WEIGHT = 0.05;

/** What a plan needs to release an answer by its marks. */
export interface PlanRelease {
  /** The client's document with the customer's owner tag and the events' type added. */
  readonly document: DocumentNode;
  /** The response key of the root field. */
  readonly rootKey: string;
  /** Every class a field the document selects can have (values, parts, addresses, event properties' field). */
  readonly classes: readonly PiiClass[];
}

/**
 * The plan's release by marks, when its document allows one: a query whose
 * one root field answers one customer, every type it reaches owned by that
 * customer, and no key of the client's own that the gateway uses.
 */
export function planReleaseOf(schema: GraphQLSchema, classification: Classification, document: DocumentNode, operationName: string | null): PlanRelease | undefined {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  const operation = operationName ? operations.find((definition) => definition.name?.value === operationName) : operations.length === 1 ? operations[0] : undefined;
  if (!operation || operation.operation !== 'query') return undefined;
  const roots = operation.selectionSet.selections;
  if (roots.length !== 1 || roots[0]!.kind !== Kind.FIELD || !ONE_CUSTOMER_ROOTS.has(roots[0]!.name.value) || roots[0]!.directives?.length) return undefined;
  const rootField = roots[0]!;
  const query = schema.getQueryType();
  const rootType = query?.getFields()[rootField.name.value]?.type;
  const rootObject = rootType ? getNullableType(rootType) : undefined;
  if (!rootObject || !isObjectType(rootObject) || rootObject.name !== 'Customer') return undefined;

  const classes = new Set<PiiClass>();
  let allowed = true;
  const typeInfo = new TypeInfo(schema);
  const tagged = visit(
    document,
    visitWithTypeInfo(typeInfo, {
      // Left as it is, and not visited: another operation of the document is not this plan's.
      OperationDefinition: (node) => (node === operation ? undefined : false),
      Field(node) {
        const parent = typeInfo.getParentType()?.name;
        const key = node.alias?.value ?? node.name.value;
        if (key === OWNER_KEY || key === TYPE_KEY) allowed = false;
        if (node.name.value.startsWith('__')) return;
        if (parent !== query?.name) {
          const personal = classification.get(`${parent}.${node.name.value}`);
          if (personal) classes.add(personal.piiClass);
        }
        const inner = typeInfo.getType();
        if (node.selectionSet && (!inner || !OWNED_BY_CUSTOMER.has(getNamedType(inner).name))) allowed = false;
      },
      SelectionSet: {
        leave(node, _key, parent) {
          const additions: FieldNode[] = [];
          if (parent === rootField) additions.push(field(OWNER_KEY, OWNER_KEY));
          if (typeInfo.getParentType()?.name === 'Event' && selectsField(node, 'properties')) additions.push(field(TYPE_KEY, 'type'));
          return additions.length > 0 ? { ...node, selections: [...node.selections, ...additions] } : undefined;
        },
      },
    }),
  );
  if (!allowed) return undefined;
  return { document: tagged, rootKey: rootField.alias?.value ?? rootField.name.value, classes: [...classes] };
}

function field(alias: string, name: string): FieldNode {
  return { kind: Kind.FIELD, alias: { kind: Kind.NAME, value: alias }, name: { kind: Kind.NAME, value: name } };
}

function selectsField(selectionSet: SelectionSetNode, name: string): boolean {
  return selectionSet.selections.some((selection) => selection.kind === Kind.FIELD && selection.name.value === name);
}

interface KeptShape {
  readonly marks: readonly number[];
  readonly list: readonly Release[];
}

/** One answer's marks, read before it is released or decided the usual way. */
export interface ReadMarks {
  readonly owner: string;
  readonly hash: number;
  readonly marks: readonly number[];
}

/**
 * Counts for tests and benchmarks: answers released by their marks, answers
 * run again to be decided value by value, shapes kept, and reads decided
 * value by value at once while their plan's marks were seldom found.
 */
export interface ReleasedByPlanStats {
  released: number;
  decided: number;
  kept: number;
  skipped: number;
}

/** The shapes kept for one plan and purpose. */
export class KeptShapes {
  private readonly shapes = new Map<number, KeptShape[]>();
  private count = 0;
  private hitRate = 1;
  private skipped = 0;

  constructor(
    private readonly names: Names,
    private readonly stats: ReleasedByPlanStats,
  ) {}

  /**
   * Releases `result` by its marks when its shape is kept (the owner tag and
   * event types taken out, the kept list recorded for the customer): true.
   * Otherwise false, with the marks in `read.marks` for `keep`.
   */
  /** Whether to run this plan's reads for their marks (see PROBE_EVERY); false: decide them value by value at once. */
  worthTrying(): boolean {
    if (this.hitRate >= HIT_RATE_FLOOR) return true;
    this.skipped++;
    if (this.skipped % PROBE_EVERY === 0) return true;
    this.stats.skipped++;
    return false;
  }

  release(result: ExecutionResult, plan: PlanRelease, ledger: PrivacyLedger, read: { marks?: ReadMarks }): boolean {
    const released = this.releasedByMarks(result, plan, ledger, read);
    this.hitRate += HIT_RATE_WEIGHT * ((released ? 1 : 0) - this.hitRate);
    if (released) this.stats.released++;
    else this.stats.decided++;
    return released;
  }

  private releasedByMarks(result: ExecutionResult, plan: PlanRelease, ledger: PrivacyLedger, read: { marks?: ReadMarks }): boolean {
    if (result.errors?.length || !result.data) return false;
    const root = result.data[plan.rootKey];
    if (root === null) {
      // No such customer: nothing personal to decide, and nothing to run again.
      ledger.walkPending = false;
      return true;
    }
    if (typeof root !== 'object' || Array.isArray(root)) return false;
    const owner = (root as Record<string, unknown>)[OWNER_KEY];
    if (typeof owner !== 'string') return false;
    const marks: number[] = [];
    const typed: Array<Record<string, unknown>> = [];
    if (!this.read(root, marks, typed)) return false;
    const hash = hashOf(marks);
    read.marks = { owner, hash, marks };
    const kept = this.shapes.get(hash)?.find((shape) => sameMarks(shape.marks, marks));
    if (!kept) return false;
    (root as Record<string, unknown>)[OWNER_KEY] = undefined;
    for (const event of typed) event[TYPE_KEY] = undefined;
    ledger.releaseAll(owner, kept.list, 0);
    ledger.walkPending = false;
    return true;
  }

  /**
   * After the full decision of an answer whose marks were read: keeps its
   * release list for the shape when it released everything as is, to the
   * customer alone, withheld nothing and answered no error.
   */
  keep(read: ReadMarks | undefined, result: ExecutionResult, ledger: PrivacyLedger): void {
    if (!read || this.count >= MAX_SHAPES_PER_PLAN || result.errors?.length || ledger.withheldFields.length > 0) return;
    const byOwner = ledger.releasesByCustomer;
    const list = byOwner.get(read.owner);
    if (byOwner.size !== 1 || !list || list.length === 0 || list.some((release) => release.decision !== 'allow')) return;
    const same = this.shapes.get(read.hash) ?? [];
    if (same.some((shape) => sameMarks(shape.marks, read.marks))) return;
    same.push({ marks: read.marks, list });
    this.shapes.set(read.hash, same);
    this.count++;
    this.stats.kept++;
  }

  /** Every key (by its number), null or not, list lengths, each event's type: false when a name cannot be numbered. */
  private read(value: unknown, marks: number[], typed: Array<Record<string, unknown>>): boolean {
    if (value === null || value === undefined) {
      marks.push(0);
      return true;
    }
    if (Array.isArray(value)) {
      marks.push(-1 - value.length);
      for (const item of value) if (!this.read(item, marks, typed)) return false;
      return true;
    }
    if (typeof value !== 'object') {
      marks.push(1);
      return true;
    }
    const object = value as Record<string, unknown>;
    for (const key in object) {
      if (key === OWNER_KEY) continue;
      const name = this.names.number(key);
      if (name === undefined) return false;
      marks.push(name);
      if (key === TYPE_KEY) {
        typed.push(object);
        const type = object[key];
        const typeName = typeof type === 'string' ? this.names.number(type) : 0;
        if (typeName === undefined) return false;
        marks.push(typeName);
      } else if (!this.read(object[key], marks, typed)) return false;
    }
    return true;
  }
}

/** Numbers for the names marks read (response keys, property names, event types), shared by a gateway's plans. */
export class Names {
  private readonly numbers = new Map<string, number>();

  number(name: string): number | undefined {
    let known = this.numbers.get(name);
    if (known === undefined) {
      if (this.numbers.size >= MAX_NAMES) return undefined;
      // Above 1: 0 and 1 mark a null and a leaf value, negatives a list's length.
      known = this.numbers.size + 2;
      this.numbers.set(name, known);
    }
    return known;
  }
}

/** The kept shapes of each plan and purpose (a plan dropped from its LRU takes its shapes with it). */
export class PlanShapes {
  private readonly byPlan = new WeakMap<PlanRelease, Map<Purpose | null, KeptShapes>>();
  private readonly names = new Names();
  readonly stats: ReleasedByPlanStats = { released: 0, decided: 0, kept: 0, skipped: 0 };

  of(plan: PlanRelease, purpose: Purpose | null): KeptShapes {
    let byPurpose = this.byPlan.get(plan);
    if (!byPurpose) this.byPlan.set(plan, (byPurpose = new Map()));
    let shapes = byPurpose.get(purpose);
    if (!shapes) byPurpose.set(purpose, (shapes = new KeptShapes(this.names, this.stats)));
    return shapes;
  }
}

function hashOf(marks: readonly number[]): number {
  let hash = 0;
  for (let i = 0; i < marks.length; i++) hash = (Math.imul(hash, 31) + marks[i]!) | 0;
  return hash;
}

function sameMarks(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The plans of release by marks, by document and operation (PlanCache, like the response plans), and their kept shapes. */
export class PlanReleases {
  private readonly plans = new PlanCache<PlanRelease | null>(RESPONSE_PLAN_CACHE_SIZE);
  readonly shapes = new PlanShapes();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly classification: Classification,
  ) {}

  /** null when the operation cannot be released by its marks. */
  planFor(document: DocumentNode, queryHash: string, operationName: string | null): PlanRelease | null {
    return this.plans.get(document, queryHash, operationName, '', () => planReleaseOf(this.schema, this.classification, document, operationName) ?? null);
  }
}
