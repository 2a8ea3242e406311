import { responsePathAsArray } from 'graphql';
import type { Purpose } from '../domain/index.js';
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
   * Inside a field's value (an event property): no GraphQL error was thrown
   * for it, so the response gets one added when it is withheld.
   */
  readonly insideValue?: boolean;
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
 */
export class PrivacyLedger {
  private readonly outcomes: FieldOutcome[] = [];
  private released = 0;
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

  record(outcome: FieldOutcome): void {
    if (outcome.decision !== 'deny') this.released++;
    this.outcomes.push(outcome);
  }

  /** A field's outcome at its resolver's path, kept as the path node: made into an array only if the audit or the response needs it. */
  recordAt(node: PathNode, piiClass: PiiClass, decision: Exclude<ReleaseDecision, { action: 'deny' }>, ownerId: string | undefined): void {
    this.released++;
    this.outcomes.push(new OutcomeAt(node, piiClass, decision.action, decision.action === 'allow' ? undefined : decision.reason, ownerId));
  }

  /** A value the response walk decided. */
  recordWalked(outcome: WalkedOutcome): void {
    if (outcome.decision !== 'deny') this.released++;
    this.outcomes.push(outcome);
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
    return this.outcomes.length > 0;
  }

  /** Every field decided so far, in order; read by the metrics once the response is sent (src/telemetry/metrics.ts). */
  get decided(): readonly FieldOutcome[] {
    return this.outcomes;
  }

  /** Whether any value (as is, masked or hashed) is in the response. */
  get releasedAny(): boolean {
    return this.released > 0;
  }

  /** Fields whose value (as is, masked or hashed) is in the response. */
  get releases(): readonly FieldOutcome[] {
    return this.released === this.outcomes.length ? this.outcomes : this.outcomes.filter((outcome) => outcome.decision !== 'deny');
  }

  /**
   * Fail closed: every release becomes a withheld field with this reason.
   * Returns the outermost ones only: a part taken back takes its fields with
   * it, so those are no longer listed on their own.
   */
  revokeReleases(reason: PrivacyReason): readonly FieldOutcome[] {
    const released = this.outcomes.filter((outcome) => outcome.decision !== 'deny');
    const revokedPaths = new Set(released.map((outcome) => outcome.path.join('.')));
    const outermost = released.filter((outcome) => !hasAncestorIn(outcome.path, revokedPaths));
    const kept = this.outcomes.filter((outcome) => outcome.decision === 'deny' && !hasAncestorIn(outcome.path, revokedPaths));
    const revoked = outermost.map((outcome): FieldOutcome => ({
      path: outcome.path,
      piiClass: outcome.piiClass,
      ownerId: outcome.ownerId,
      ...(outcome.insideValue ? { insideValue: true } : {}),
      decision: 'deny',
      reason,
    }));
    this.outcomes.splice(0, this.outcomes.length, ...kept, ...revoked);
    this.released = 0;
    return onePerPath(revoked);
  }

  /** Withheld values inside other values (event properties), which no resolver error reports. */
  get withheldInsideValues(): readonly FieldOutcome[] {
    return this.outcomes.filter((outcome) => outcome.insideValue && outcome.decision === 'deny');
  }

  /** Withheld and transformed fields, sorted by path so the order is stable; plain releases are not listed. */
  extension(): PrivacyExtension {
    // One entry per path (a field about several customers is recorded for each), in response order.
    const seen = new Set<string>();
    const listed: Array<{ readonly outcome: FieldOutcome & { reason: PrivacyReason }; readonly strings: PathStrings }> = [];
    for (const outcome of this.outcomes) {
      if (outcome.reason === undefined) continue;
      const strings = pathStringsOf(outcome);
      if (seen.has(strings.sortKey)) continue;
      seen.add(strings.sortKey);
      listed.push({ outcome: outcome as FieldOutcome & { reason: PrivacyReason }, strings });
    }
    listed.sort((a, b) => (a.strings.sortKey < b.strings.sortKey ? -1 : a.strings.sortKey > b.strings.sortKey ? 1 : 0));
    const fields = listed.map(({ outcome, strings }) => ({ path: strings.dotted, piiClass: outcome.piiClass, decision: outcome.decision, reason: outcome.reason }));
    return { purpose: this.options.purpose, fields };
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

/**
 * A personal value decided by the response walk (src/privacy/responseWalk.ts):
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

  /** Every key the walk writes is a GraphQL response key (never starting with a digit) or a list index. */
  get path(): ResponsePath {
    return (this.array ??= this.dotted.split('.').map((key) => (/^\d+$/.test(key) ? Number(key) : key)));
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

/** A release recorded at a resolver's path node; the path array is made when first read. */
class OutcomeAt implements FieldOutcome {
  private array: ResponsePath | undefined;

  constructor(
    private readonly node: PathNode,
    readonly piiClass: PiiClass,
    readonly decision: ReleaseDecision['action'],
    readonly reason: PrivacyReason | undefined,
    readonly ownerId: string | undefined,
  ) {}

  get path(): ResponsePath {
    return (this.array ??= responsePathAsArray(this.node as Parameters<typeof responsePathAsArray>[0]));
  }

  /**
   * The path as the audit writes it (`a.0.b`) and a key whose string order
   * is comparePaths' order: every key of a resolver's path is a GraphQL name
   * (never starting with a digit) or a list index, written here in ten
   * digits, and segments are joined by U+0000, below every name character.
   */
  strings(): PathStrings {
    return pathStrings(this.node);
  }
}

interface PathStrings {
  readonly dotted: string;
  readonly sortKey: string;
}

/**
 * Path strings by path, kept in a trie shared by all requests: the same
 * field of the same response shape (customer.profile.email) is written once,
 * then found by one map lookup per segment (graphql-jit hands every resolver
 * a fresh path, so nothing can be kept on the nodes themselves). Bounded:
 * past MAX_PATHS entries new paths are written each time instead of kept.
 */
interface PathTrie {
  readonly strings: PathStrings;
  readonly children: Map<string | number, PathTrie>;
}
const MAX_PATHS = 50_000;
const pathTrie = new Map<string | number, PathTrie>();
let pathsKept = 0;

function pathStrings(node: PathNode): PathStrings {
  const keys: Array<string | number> = [];
  for (let at: PathNode | undefined = node; at; at = at.prev) keys.push(at.key);
  let level = pathTrie;
  let parent: PathStrings | undefined;
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    let entry = level.get(key);
    if (!entry) {
      const segment = typeof key === 'number' ? String(key) : key;
      const sortable = typeof key === 'number' ? segment.padStart(10, '0') : key;
      const strings = parent ? { dotted: `${parent.dotted}.${segment}`, sortKey: `${parent.sortKey}\u0000${sortable}` } : { dotted: segment, sortKey: sortable };
      entry = { strings, children: new Map() };
      if (pathsKept < MAX_PATHS) {
        level.set(key, entry);
        pathsKept++;
      }
    }
    parent = entry.strings;
    level = entry.children;
  }
  return parent!;
}

/**
 * An outcome's path as the audit writes it (`customer.consents.0.status`).
 * Releases are audited in the order they were recorded (parts as they
 * resolved, values as the walk met them), not sorted: a record's field order
 * means nothing (every store hands decisions back sorted by path,
 * connectors/singleview/auditFields.ts), so the hot path does not pay for it.
 */
export function auditPathOf(outcome: FieldOutcome): string {
  if (outcome instanceof WalkedOutcome) return outcome.auditPath;
  if (outcome instanceof OutcomeAt) return outcome.strings().dotted;
  return outcome.path.join('.');
}

/**
 * An outcome's audit path and response-order key. Outcomes recorded with a
 * path array (event properties, named by the event's data) get theirs from
 * it: list indexes in ten digits, segments joined by U+0000.
 */
function pathStringsOf(outcome: FieldOutcome): PathStrings {
  if (outcome instanceof OutcomeAt || outcome instanceof WalkedOutcome) return outcome.strings();
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
