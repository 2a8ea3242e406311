import { responsePathAsArray } from 'graphql';
import type { SourceLocation } from 'graphql';
import type { FieldLocator } from '../graphql/selection.js';
import type { FieldDecisionRecord, Purpose } from '../domain/index.js';
import type { PiiClass } from '../domain/index.js';
import type { PrivacyPolicy } from './policy.js';
import type { RedactOptions } from './redact.js';
import { needsOwnerFacts, plannedDecisions, releaseDecision } from './releaseDecision.js';
import type { OwnerFacts, PlannedDecisions, PrivacyReason, ReleaseDecision } from './releaseDecision.js';

/** A response path as graphql-js and graphql-jit hand it to a resolver: a linked list from the field up to the root. */
export interface PathNode {
  readonly prev: PathNode | undefined;
  readonly key: string | number;
}

export type ResponsePath = ReadonlyArray<string | number>;

/** One personal field occurrence in the response and what was done with it. */
export interface FieldOutcome {
  readonly path: ResponsePath;
  readonly piiClass: PiiClass;
  readonly decision: ReleaseDecision['action'];
  /** Absent for a plain release. */
  readonly reason?: PrivacyReason;
  /** The customer the field belongs to. */
  readonly ownerId: string | undefined;
  /**
   * No GraphQL error was thrown for it (an event property inside a field's
   * value, or a field its resolver withheld by answering null), so the
   * response gets one added when it is withheld.
   */
  readonly insideValue?: boolean;
  /** Where the field is in the document, for that added error (none for an event property). */
  readonly locations?: readonly SourceLocation[] | undefined;
}

/**
 * A release as the audit stores it (`customer.profile.email`, its class,
 * action and reason). Made once per path, class and action and shared by
 * every request that releases the same (frozen: nothing changes one), so a
 * request's releases cost one array slot each, not an object.
 */
export type Release = Readonly<FieldDecisionRecord> & { readonly piiClass: PiiClass; readonly decision: Exclude<ReleaseDecision['action'], 'deny'> };

export type ReleaseAction = Release['decision'];

export function releaseOf(path: string, piiClass: PiiClass, action: ReleaseAction): Release {
  return Object.freeze({ path, piiClass, decision: action, reason: action === 'allow' ? null : action === 'mask' ? 'POLICY_MASKS' : 'POLICY_HASHES' });
}

/** `extensions.privacy` as the contract states it. */
export interface PrivacyExtension {
  readonly purpose: string | null;
  readonly fields: ReadonlyArray<{ path: string; piiClass: PiiClass; decision: string; reason: PrivacyReason }>;
}

export interface LedgerOptions {
  readonly policy: PrivacyPolicy;
  readonly purpose: Purpose | null;
  readonly callerCustomerId: string | undefined;
  /** The owner's consents and ids, from the request's customer loader (one read per customer per request). */
  readonly loadOwner: (ownerId: string) => Promise<OwnerFacts | undefined>;
  /** How this request masks phone numbers and computes pseudonyms (shared, or scoped to the principal). */
  readonly redactOptions: RedactOptions;
}

/**
 * Per request: decides each personal field (once per customer and class)
 * and records what was released, masked, hashed or withheld, so the privacy
 * plugin can audit the releases and, if the audit write fails, take them
 * back out of the response without executing anything twice.
 *
 * Releases are kept as the audit stores them, by owner (`releasesByCustomer`
 * is what the audit writes, with nothing copied): each is a shared Release
 * (the walk's from its plan's positions, a resolver's from the path trie
 * below), so recording one allocates nothing. Withheld fields, rare, are
 * kept as FieldOutcomes with their path for the error and the extension.
 */
export class PrivacyLedger {
  /** Releases by owner, each owner's in the order they were recorded. */
  private readonly runs = new Map<string | undefined, OwnerReleases>();
  private releasedCount = 0;
  /** The last owner released for and its releases: fields come in runs of one owner. */
  private lastOwner: string | undefined;
  private lastRun: OwnerReleases | undefined;
  /** The releases as the audit stores them, made when first read after the last release. */
  private byOwner: Map<string | undefined, readonly Release[]> | undefined;
  /** The release lists of earlier requests of the same plan (useShape), which this request's may repeat. */
  private shape: AuditShape | undefined;
  /** Withheld fields (and, once revokeReleases ran, the releases taken back). */
  private withheld: FieldOutcome[] = [];
  /** Releases recorded with their path as an array (record(): event properties, co-owned fields), whose dotted path cannot give it back. */
  private recordedWith: Map<Release, FieldOutcome> | undefined;
  private readonly owners = new Map<string, OwnerFacts | undefined | Promise<OwnerFacts | undefined>>();
  /** Decisions that depend on the customer: per owner, per class. */
  private readonly decisions = new Map<string, Map<PiiClass, ReleaseDecision>>();
  private readonly ownerFactsNeeded: boolean;
  /** The purpose's decision per class where no customer's facts matter, decided once for the policy (plannedDecisions). */
  private readonly planned: PlannedDecisions;
  private callerCustomerId: string | undefined;

  constructor(private readonly options: LedgerOptions) {
    this.ownerFactsNeeded = needsOwnerFacts(options.policy, options.purpose);
    this.planned = plannedDecisions(options.policy, options.purpose);
    this.callerCustomerId = options.callerCustomerId;
  }

  /**
   * A customer token names a login, not a customer: `me` finds the customer
   * holding it and binds it here before any of its fields is decided.
   */
  bindCaller(customerId: string): void {
    if (this.callerCustomerId === customerId) return;
    this.callerCustomerId = customerId;
    this.decisions.clear();
  }

  get purpose(): Purpose | null {
    return this.options.purpose;
  }

  /**
   * The operation's plan keeps the release lists of its last requests
   * (AuditShape): an owner's releases that repeat them (the same shared
   * Releases, in the same order) are that same frozen list, so the request
   * allocates no list of its own and the audit store keeps one for all.
   */
  useShape(shape: AuditShape): void {
    this.shape = shape;
  }

  get redactOptions(): RedactOptions {
    return this.options.redactOptions;
  }

  /**
   * Synchronous when the owner's facts are known or not needed, which is
   * every field after a customer's first. Where the purpose and class decide
   * alone (no consent, not own-record-only, or a class the policy denies), the
   * decision was made once for the policy and is returned as is.
   */
  decide(ownerId: string | undefined, piiClass: PiiClass): ReleaseDecision | Promise<ReleaseDecision> {
    const planned = this.planned[piiClass];
    if (planned !== null) return planned;
    const key = ownerId ?? '';
    const known = this.decisions.get(key)?.get(piiClass);
    if (known) return known;
    if (!this.ownerFactsNeeded || ownerId === undefined) return this.remember(key, piiClass, undefined);
    const owner = this.owners.has(ownerId) ? this.owners.get(ownerId) : this.loadOwner(ownerId);
    return owner instanceof Promise ? owner.then((facts) => this.remember(key, piiClass, facts)) : this.remember(key, piiClass, owner);
  }

  /** A field's outcome with its path as an array (event properties, fields about several customers, withheld fields). */
  record(outcome: FieldOutcome): void {
    if (outcome.decision === 'deny') {
      this.withheld.push(outcome);
      return;
    }
    const release = releaseOf(outcome.path.join('.'), outcome.piiClass, outcome.decision);
    (this.recordedWith ??= new Map()).set(release, outcome);
    this.release(outcome.ownerId, release);
  }

  /** A field's release at its resolver's path, as the shared Release of that path, class and action. */
  recordAt(node: PathNode, piiClass: PiiClass, decision: Exclude<ReleaseDecision, { action: 'deny' }>, ownerId: string | undefined): void {
    this.release(ownerId, releaseAtPath(node, piiClass, decision.action));
  }

  /** A release inside a resolver's value (an event property, by name), as the shared Release of that path, class and action. */
  recordInside(node: PathNode, name: string, piiClass: PiiClass, action: ReleaseAction, ownerId: string | undefined): void {
    this.release(ownerId, releaseInside(node, name, piiClass, action));
  }

  /** A release the response walk decided (its plan keeps the Release per position, src/privacy/responseWalk.ts). */
  release(ownerId: string | undefined, release: Release): void {
    this.releasedCount++;
    this.byOwner = undefined;
    let run = this.lastRun;
    if (run === undefined || ownerId !== this.lastOwner) {
      run = this.runs.get(ownerId);
      if (!run) this.runs.set(ownerId, (run = new OwnerReleases(this.shape?.list(this.runs.size))));
      this.lastOwner = ownerId;
      this.lastRun = run;
    }
    run.add(release);
  }

  /**
   * Whether every class here is released as is for this request's purpose,
   * whoever the customer: the policy allows it and neither consent nor the
   * caller's own record is read (plannedDecisions).
   */
  releasesAsIs(piiClasses: readonly PiiClass[]): boolean {
    for (const piiClass of piiClasses) if (this.planned[piiClass]?.action !== 'allow') return false;
    return true;
  }

  /**
   * How far an owner's releases so far repeat its place's list in the plan's
   * audit shape (useShape): that list and how many of its releases they
   * repeat, or undefined once they differ from it. An owner with no release
   * yet repeats none of the list its place would get.
   */
  repeatedSoFar(ownerId: string): RepeatedReleases | undefined {
    const run = this.runs.get(ownerId);
    return run ? run.repeated() : { list: this.shape?.list(this.runs.size), count: 0 };
  }

  /**
   * The owner's releases are `list` (frozen), whose first `count` are those
   * already recorded for it (repeatedSoFar): the response walk's releases of
   * a response shaped as one whose list it kept (src/privacy/responseWalk.ts).
   */
  releaseAll(ownerId: string, list: readonly Release[], count: number): void {
    let run = this.runs.get(ownerId);
    if (!run) this.runs.set(ownerId, (run = new OwnerReleases(this.shape?.list(this.runs.size))));
    run.repeatAll(list);
    this.releasedCount += list.length - count;
    this.byOwner = undefined;
    this.lastRun = undefined;
  }

  /** A value the response walk decided. */
  recordWalked(outcome: WalkedOutcome): void {
    if (outcome.decision === 'deny') this.withheld.push(outcome);
    else this.release(outcome.ownerId, releaseOf(outcome.auditPath, outcome.piiClass, outcome.decision));
  }

  /** Whether deciding for this request's purpose reads the owners' consents or ids. */
  get readsOwners(): boolean {
    return this.ownerFactsNeeded;
  }

  /** Reads an owner's facts ahead of the walk, so that its decisions are then made without waiting. */
  async prefetchOwner(ownerId: string): Promise<void> {
    if (!this.ownerFactsNeeded || this.owners.has(ownerId)) {
      await this.owners.get(ownerId);
      return;
    }
    await this.loadOwner(ownerId);
  }

  /**
   * Set while an executed operation's personal values still wait for the
   * response walk; the privacy plugin withholds the whole response if it is
   * still set when the response leaves (fail closed).
   */
  walkPending = false;

  /** Whether the request reached any personal field. */
  get touched(): boolean {
    return this.releasedCount > 0 || this.withheld.length > 0;
  }

  /** Whether any value (as is, masked or hashed) is in the response. */
  get releasedAny(): boolean {
    return this.releasedCount > 0;
  }

  /** How many values (as is, masked or hashed) are in the response, counting a field about several customers once for each. */
  get releaseCount(): number {
    return this.releasedCount;
  }

  /**
   * The releases as the audit stores them: by owner (undefined when unknown),
   * each owner's in the order they were recorded (a record's field order
   * means nothing: every store hands decisions back sorted by path,
   * connectors/singleview/auditFields.ts). Read by the privacy plugin for
   * the audit, by the metrics (src/telemetry/metrics.ts) and by the response
   * walk, which keeps an owner's list for the next response of its shape
   * (src/privacy/responseWalk.ts); not to be changed.
   */
  get releasesByCustomer(): ReadonlyMap<string | undefined, readonly Release[]> {
    if (this.byOwner) return this.byOwner;
    const byOwner = new Map<string | undefined, readonly Release[]>();
    let slot = 0;
    for (const [ownerId, run] of this.runs) {
      const { list, fresh } = run.settle();
      if (fresh) this.shape?.remember(slot, list);
      byOwner.set(ownerId, list);
      slot++;
    }
    return (this.byOwner = byOwner);
  }

  /** Withheld fields, in the order they were decided. */
  get withheldFields(): readonly FieldOutcome[] {
    return this.withheld;
  }

  /** Fields whose value (as is, masked or hashed) is in the response, as outcomes with their path (owner by owner). */
  get releases(): readonly FieldOutcome[] {
    const outcomes: FieldOutcome[] = [];
    for (const [ownerId, releases] of this.releasesByCustomer) {
      for (const release of releases) {
        const recorded = this.recordedWith?.get(release);
        const inside = insidePaths.get(release);
        outcomes.push(
          recorded ?? {
            path: inside ?? pathArrayOf(release.path),
            ...(inside ? { insideValue: true } : {}),
            piiClass: release.piiClass,
            decision: release.decision,
            ownerId,
            ...(release.reason ? { reason: release.reason as PrivacyReason } : {}),
          },
        );
      }
    }
    return outcomes;
  }

  /**
   * Fail closed: every release becomes a withheld field with this reason.
   * Returns the outermost ones only: a part taken back takes its fields with
   * it, so those are no longer listed on their own. `locate` gives each its
   * place in the document, for its error (a release keeps none: its Release
   * is shared by every document with the same path, and this path is rare).
   */
  revokeReleases(reason: PrivacyReason, locate?: FieldLocator): readonly FieldOutcome[] {
    const released = this.releases;
    const revokedPaths = new Set(released.map((outcome) => outcome.path.join('.')));
    const outermost = released.filter((outcome) => !hasAncestorIn(outcome.path, revokedPaths));
    const kept = this.withheld.filter((outcome) => !hasAncestorIn(outcome.path, revokedPaths));
    const revoked = outermost.map((outcome): FieldOutcome => ({
      path: outcome.path,
      piiClass: outcome.piiClass,
      ownerId: outcome.ownerId,
      ...(outcome.insideValue ? { insideValue: true } : {}),
      decision: 'deny',
      reason,
      locations: locate?.(outcome.path),
    }));
    this.withheld = [...kept, ...revoked];
    this.runs.clear();
    this.byOwner = undefined;
    this.releasedCount = 0;
    this.lastRun = undefined;
    this.recordedWith = undefined;
    return onePerPath(revoked);
  }

  /** Withheld values inside other values (event properties), which no resolver error reports. */
  get withheldInsideValues(): readonly FieldOutcome[] {
    return this.withheld.filter((outcome) => outcome.insideValue);
  }

  /** Withheld and transformed fields, sorted by path so the order is stable; plain releases are not listed. */
  extension(): PrivacyExtension {
    // One entry per path (a field about several customers is recorded for each), in response order.
    const seen = new Set<string>();
    const listed: ListedField[] = [];
    const list = (field: ListedField): void => {
      if (seen.has(field.sortKey)) return;
      seen.add(field.sortKey);
      listed.push(field);
    };
    for (const releases of this.releasesByCustomer.values()) {
      if (!anyTransformed(releases)) continue;
      for (const release of releases) {
        if (release.reason === null || release.reason === undefined) continue;
        const recorded = this.recordedWith?.get(release);
        // A shared Release is listed the same way in every response that has it: its entry is made once.
        list(recorded ? listedField(pathStringsOf(recorded), release.piiClass, release.decision, release.reason as PrivacyReason) : listedRelease(release));
      }
    }
    for (const outcome of this.withheld) if (outcome.reason !== undefined) list(listedField(pathStringsOf(outcome), outcome.piiClass, outcome.decision, outcome.reason));
    listed.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0));
    return { purpose: this.options.purpose, fields: listed.map(({ entry }) => entry) };
  }

  private remember(ownerKey: string, piiClass: PiiClass, owner: OwnerFacts | undefined): ReleaseDecision {
    const { policy, purpose } = this.options;
    const decision = releaseDecision({ policy, purpose, piiClass, callerCustomerId: this.callerCustomerId, owner });
    let byClass = this.decisions.get(ownerKey);
    if (!byClass) this.decisions.set(ownerKey, (byClass = new Map()));
    byClass.set(piiClass, decision);
    return decision;
  }

  private loadOwner(ownerId: string): Promise<OwnerFacts | undefined> {
    // A failed read counts as unknown facts: consent-bound fields are then withheld, never released.
    const pending = this.options.loadOwner(ownerId).catch(() => undefined);
    this.owners.set(ownerId, pending);
    void pending.then((facts) => this.owners.set(ownerId, facts));
    return pending;
  }
}

/** An owner's releases so far, as the part of a list they repeat: `list` (undefined for none) and how many of its releases. */
export interface RepeatedReleases {
  readonly list: readonly Release[] | undefined;
  readonly count: number;
}

/**
 * One owner's releases in one request. While they repeat the plan's list
 * for this owner's place (AuditShape), nothing is copied: only how far they
 * matched is counted; at the first difference the matched part is copied
 * and the rest pushed as usual.
 */
class OwnerReleases {
  private list: Release[] | undefined;
  private matched = 0;

  constructor(private template: readonly Release[] | undefined) {}

  /** The list these releases repeat so far and how many of it, or undefined once they differ from it. */
  repeated(): RepeatedReleases | undefined {
    return this.list === undefined ? { list: this.template, count: this.matched } : undefined;
  }

  /** The releases are `list` whole, which begins with those recorded so far (repeated()). */
  repeatAll(list: readonly Release[]): void {
    this.list = undefined;
    this.template = list;
    this.matched = list.length;
  }

  add(release: Release): void {
    if (this.list !== undefined) {
      this.list.push(release);
      return;
    }
    const template = this.template;
    if (template !== undefined && template[this.matched] === release) {
      this.matched++;
      return;
    }
    this.list = template ? template.slice(0, this.matched) : [];
    this.list.push(release);
  }

  /**
   * The releases so far, frozen: the plan's list when they repeat it whole,
   * else a new list (`fresh`), which becomes the plan's. Releases recorded
   * after this are compared with it in turn (and copied, never appended to it).
   */
  settle(): { readonly list: readonly Release[]; readonly fresh: boolean } {
    let list: readonly Release[];
    let fresh = true;
    if (this.list !== undefined) list = Object.freeze(this.list);
    else if (this.template !== undefined && this.matched === this.template.length) {
      list = this.template;
      fresh = false;
    } else list = Object.freeze((this.template ?? []).slice(0, this.matched));
    this.list = undefined;
    this.template = list;
    this.matched = list.length;
    return { list, fresh };
  }
}

/**
 * The audit record's shape for one operation plan: per owner's place in a
 * request (first owner released for, second, …), the release list its
 * last request settled on, frozen and shared by every request that repeats
 * it (and by the records the audit store keeps). Bounded by MAX_SHAPE_OWNERS.
 */
export class AuditShape {
  private readonly lists: Array<readonly Release[] | undefined> = [];

  list(slot: number): readonly Release[] | undefined {
    return this.lists[slot];
  }

  remember(slot: number, list: readonly Release[]): void {
    if (slot < MAX_SHAPE_OWNERS) this.lists[slot] = list;
  }
}

const MAX_SHAPE_OWNERS = 1_000;
const shapes = new WeakMap<object, AuditShape>();

/** The audit shape kept with a plan (a plan dropped from its LRU takes its shape with it). */
export function auditShapeOf(plan: object): AuditShape {
  let shape = shapes.get(plan);
  if (!shape) shapes.set(plan, (shape = new AuditShape()));
  return shape;
}

/** An entry of `extensions.privacy` and its response-order key. */
interface ListedField {
  readonly entry: PrivacyExtension['fields'][number];
  readonly sortKey: string;
}

function listedField(strings: PathStrings, piiClass: PiiClass, decision: string, reason: PrivacyReason): ListedField {
  return { entry: { path: strings.dotted, piiClass, decision, reason }, sortKey: strings.sortKey };
}

/** A shared Release's entry, made once (frozen: every response that lists it shares it). */
function listedRelease(release: Release): ListedField {
  let known = listedReleases.get(release);
  if (known === undefined) {
    const inside = insidePaths.get(release);
    const strings = inside ? pathStringsOf({ path: inside }) : { dotted: release.path, sortKey: sortKeyOf(release.path) };
    const field = listedField(strings, release.piiClass, release.decision, release.reason as PrivacyReason);
    known = Object.freeze({ entry: Object.freeze(field.entry), sortKey: field.sortKey });
    listedReleases.set(release, known);
  }
  return known;
}

const listedReleases = new WeakMap<Release, ListedField>();

/** Whether a release list holds a masked or hashed release (which `extensions.privacy` lists): answered once per list. */
function anyTransformed(releases: readonly Release[]): boolean {
  let known = transformedLists.get(releases);
  if (known === undefined) {
    known = releases.some((release) => release.reason !== null && release.reason !== undefined);
    // Lists are frozen once settled (OwnerReleases): nothing is added to one after it is answered.
    transformedLists.set(releases, known);
  }
  return known;
}

const transformedLists = new WeakMap<readonly Release[], boolean>();

/** Every key the walk and the resolvers write is a GraphQL response key (never starting with a digit) or a list index. */
export function pathArrayOf(dotted: string): ResponsePath {
  return dotted.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key));
}

/**
 * A personal value the response walk withheld (src/privacy/responseWalk.ts):
 * its path is kept as the walk wrote it, the audit's dotted path, and made
 * into an array or a response-order key only if something asks.
 */
export class WalkedOutcome implements FieldOutcome {
  private array: ResponsePath | undefined;

  constructor(
    private readonly dotted: string,
    readonly piiClass: PiiClass,
    readonly decision: ReleaseDecision['action'],
    readonly reason: PrivacyReason | undefined,
    readonly ownerId: string | undefined,
  ) {}

  get path(): ResponsePath {
    return (this.array ??= pathArrayOf(this.dotted));
  }

  /** The response-order key is made only when something sorts (`extensions.privacy`), and kept per path (sortKeyOf). */
  strings(): PathStrings {
    return { dotted: this.dotted, sortKey: sortKeyOf(this.dotted) };
  }

  get auditPath(): string {
    return this.dotted;
  }
}

/**
 * The response-order key of a dotted path, kept in a map shared by all
 * requests: responses of one shape repeat their paths (a batch's
 * `customers.17.profile.email`), so each is split and rewritten once.
 * Bounded like the path trie below: past MAX_PATHS, new ones are made each time.
 */
const sortKeys = new Map<string, string>();

export function sortKeyOf(dotted: string): string {
  let key = sortKeys.get(dotted);
  if (key === undefined) {
    key = dotted.split('.').map((segment) => (/^\d+$/.test(segment) ? sortableIndex(Number(segment)) : segment)).join('\u0000');
    if (sortKeys.size < MAX_PATHS) sortKeys.set(dotted, key);
  }
  return key;
}

/** A list index in a response-order key: ten digits, so that string order is numeric order. */
export function sortableIndex(index: number): string {
  return String(index).padStart(10, '0');
}

/**
 * The path as the audit writes it (`a.0.b`) and a key whose string order
 * is comparePaths' order: every key of a resolver's path is a GraphQL name
 * (never starting with a digit) or a list index, written here in ten
 * digits, and segments are joined by U+0000, below every name character.
 */
interface PathStrings {
  readonly dotted: string;
  readonly sortKey: string;
}

/**
 * Path strings by path, kept in a trie shared by all requests: the same
 * field of the same response shape (customer.profile.email) is written once,
 * then found by one map lookup per segment (graphql-jit hands every resolver
 * a fresh path, so nothing can be kept on the nodes themselves), with the
 * Releases made at it (one per class and action: the same response key can
 * be another field in another document). Bounded: past MAX_PATHS entries
 * new paths are written each time instead of kept.
 */
interface PathTrie {
  readonly strings: PathStrings;
  readonly children: Map<string | number, PathTrie>;
  releases: Release[] | undefined;
}
const MAX_PATHS = 50_000;
const pathTrie = new Map<string | number, PathTrie>();
let pathsKept = 0;

function pathEntry(node: PathNode): PathTrie {
  const keys: Array<string | number> = [];
  for (let at: PathNode | undefined = node; at; at = at.prev) keys.push(at.key);
  let level = pathTrie;
  let parent: PathTrie | undefined;
  for (let i = keys.length - 1; i >= 0; i--) {
    parent = entryAt(level, parent, keys[i]!);
    level = parent.children;
  }
  return parent!;
}

function entryAt(level: Map<string | number, PathTrie>, parent: PathTrie | undefined, key: string | number): PathTrie {
  let entry = level.get(key);
  if (!entry) {
    const segment = typeof key === 'number' ? String(key) : key;
    const sortable = typeof key === 'number' ? sortableIndex(key) : key;
    const strings = parent ? { dotted: `${parent.strings.dotted}.${segment}`, sortKey: `${parent.strings.sortKey}\u0000${sortable}` } : { dotted: segment, sortKey: sortable };
    entry = { strings, children: new Map(), releases: undefined };
    if (pathsKept < MAX_PATHS) {
      level.set(key, entry);
      pathsKept++;
    }
  }
  return entry;
}

/** The shared Release of a resolver's path, class and action. */
function releaseAtPath(node: PathNode, piiClass: PiiClass, action: ReleaseAction): Release {
  return releaseAtEntry(pathEntry(node), piiClass, action, undefined);
}

/**
 * The shared Release of a value inside a resolver's value (an event
 * property, by name): its path as an array is kept beside it (insidePaths),
 * since a property's name may hold a dot or be all digits.
 */
function releaseInside(node: PathNode, name: string, piiClass: PiiClass, action: ReleaseAction): Release {
  const parent = pathEntry(node);
  return releaseAtEntry(entryAt(parent.children, parent, name), piiClass, action, () => [...responsePathAsArray(node as Parameters<typeof responsePathAsArray>[0]), name]);
}

/** Paths of the Releases made inside values, which their dotted path cannot give back. */
const insidePaths = new WeakMap<Release, ResponsePath>();

function releaseAtEntry(entry: PathTrie, piiClass: PiiClass, action: ReleaseAction, insidePath: (() => ResponsePath) | undefined): Release {
  const releases = (entry.releases ??= []);
  for (const release of releases) if (release.piiClass === piiClass && release.decision === action) return release;
  const release = releaseOf(entry.strings.dotted, piiClass, action);
  if (insidePath) insidePaths.set(release, insidePath());
  releases.push(release);
  return release;
}

/**
 * An outcome's audit path and response-order key. Outcomes recorded with a
 * path array (event properties, named by the event's data) get theirs from
 * it: list indexes in ten digits, segments joined by U+0000.
 */
function pathStringsOf(outcome: Pick<FieldOutcome, 'path'>): PathStrings {
  if (outcome instanceof WalkedOutcome) return outcome.strings();
  const { path } = outcome;
  return {
    dotted: path.join('.'),
    sortKey: path.map((key) => (typeof key === 'number' ? sortableIndex(key) : key)).join('\u0000'),
  };
}

/** A field about several customers is recorded once per customer (for each one's audit trail) but is one field of the response. */
function onePerPath<T extends FieldOutcome>(outcomes: readonly T[]): T[] {
  const seen = new Set<string>();
  return outcomes.filter((outcome) => {
    const key = outcome.path.join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function hasAncestorIn(path: ResponsePath, paths: ReadonlySet<string>): boolean {
  for (let length = path.length - 1; length > 0; length--) if (paths.has(path.slice(0, length).join('.'))) return true;
  return false;
}

/** Response order: keys as strings, list indexes as numbers. */
export function comparePaths(a: ResponsePath, b: ResponsePath): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a.length - b.length;
}

/** Replaces the value at `path` in a response's data, when its parent is still there (a null ancestor ends the walk). */
export function replaceAtPath(data: unknown, path: ResponsePath, replace: (value: unknown) => unknown): void {
  let node: unknown = data;
  for (const key of path.slice(0, -1)) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string | number, unknown>)[key];
  }
  const last = path.at(-1);
  if (node === null || typeof node !== 'object' || last === undefined) return;
  const parent = node as Record<string | number, unknown>;
  parent[last] = replace(parent[last]);
}
