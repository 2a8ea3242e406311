import type { CustomerRecord, IdentityLogEntry, IdentityType } from '../domain/index.js';
import { identityIndexKey } from '../domain/index.js';


/** An identifier of the customer, with a node id local to one response. */
export interface IdentityNodeRecord {
  readonly id: string;
  /** Identity index key: for matching log entries, never returned. */
  readonly key: string;
  readonly type: IdentityType;
  readonly value: string;
  readonly source: string;
  readonly firstSeenAt: string;
}

export type IdentityEdgeKind = 'LINK' | 'MERGE' | 'MATCH' | 'RECORD';

/** A merge under a rule with this prefix was accepted from the probabilistic matcher's suggestion: its edge is MATCH. */
export const MATCH_RULE_PREFIX = 'match:';

export interface IdentityEdgeRecord {
  readonly from: string;
  readonly to: string;
  readonly kind: IdentityEdgeKind;
  readonly rule: string;
  readonly at: string;
  readonly principal: string | null;
  readonly traceId: string | null;
}

export interface IdentityGraphRecord {
  readonly customerId: string;
  readonly nodes: readonly IdentityNodeRecord[];
  readonly edges: readonly IdentityEdgeRecord[];
}

/** The rule of an edge the log does not explain: the identifiers were held together by the customer. */
export const SAME_RECORD_RULE = 'same-record';

/**
 * A customer's identity graph from its identity change logs (its own, those
 * of the customers it absorbed, and of the customer it was split from):
 * every `link` joins the identifier the customer already held to each new
 * one, every `merge` joins the two identifiers of the call that brought two
 * customers together. Only edges between identifiers the customer holds now
 * count, the earliest per pair. Identifiers no recorded link reaches (loaded
 * with the record, or joined through an identifier an unmerge took away)
 * hang from the customer's first identifier by a RECORD edge, so every pair
 * of identifiers is joined by some chain.
 */
export function buildIdentityGraph(record: CustomerRecord, logs: ReadonlyMap<string, readonly IdentityLogEntry[]>): IdentityGraphRecord {
  const nodes = record.identities.map(
    (identity, i): IdentityNodeRecord => ({
      id: `n${i + 1}`,
      key: identityIndexKey(identity),
      type: identity.type,
      value: identity.value,
      source: identity.source,
      firstSeenAt: identity.firstSeenAt,
    }),
  );
  const byKey = new Map(nodes.map((node) => [node.key, node]));
  const entries = [...logs.values()].flat().sort((a, b) => a.at.localeCompare(b.at) || a.id.localeCompare(b.id));
  const edges: IdentityEdgeRecord[] = [];
  const paired = new Set<string>();
  const add = (fromKey: string | null | undefined, toKey: string, kind: IdentityEdgeKind, entry: IdentityLogEntry) => {
    const from = fromKey ? byKey.get(fromKey) : undefined;
    const to = byKey.get(toKey);
    if (!from || !to || from === to) return;
    const pair = [from.id, to.id].sort().join('|');
    if (paired.has(pair)) return;
    paired.add(pair);
    edges.push({ from: from.id, to: to.id, kind, rule: entry.rule, at: entry.at, principal: entry.principal ?? null, traceId: entry.traceId ?? null });
  };
  for (const entry of entries) {
    if (entry.kind === 'link') for (const key of entry.identityKeys) add(entry.anchorKey, key, 'LINK', entry);
    if (entry.kind === 'merge' && entry.otherKey) add(entry.anchorKey, entry.otherKey, entry.rule.startsWith(MATCH_RULE_PREFIX) ? 'MATCH' : 'MERGE', entry);
  }
  const root = rootNode(nodes, byKey, logs.get(record.id) ?? []);
  if (root) edges.push(...recordEdges(nodes, edges, root));
  return { customerId: record.id, nodes, edges };
}

/** The identifier the customer was created with, else the one seen first. */
function rootNode(
  nodes: readonly IdentityNodeRecord[],
  byKey: ReadonlyMap<string, IdentityNodeRecord>,
  ownLog: readonly IdentityLogEntry[],
): IdentityNodeRecord | undefined {
  const created = ownLog.find((entry) => entry.kind === 'create');
  const createdWith = created?.identityKeys[0] ? byKey.get(created.identityKeys[0]) : undefined;
  return createdWith ?? [...nodes].sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt))[0];
}

/** RECORD edges from the root to the first-seen identifier of every part the recorded edges leave apart. */
function recordEdges(nodes: readonly IdentityNodeRecord[], edges: readonly IdentityEdgeRecord[], root: IdentityNodeRecord): IdentityEdgeRecord[] {
  const parent = new Map(nodes.map((node) => [node.id, node.id]));
  const find = (id: string): string => {
    let current = id;
    while (parent.get(current) !== current) current = parent.get(current)!;
    return current;
  };
  const union = (a: string, b: string) => parent.set(find(a), find(b));
  for (const edge of edges) union(edge.from, edge.to);
  const added: IdentityEdgeRecord[] = [];
  for (const node of [...nodes].sort((a, b) => a.firstSeenAt.localeCompare(b.firstSeenAt))) {
    if (find(node.id) === find(root.id)) continue;
    const at = node.firstSeenAt > root.firstSeenAt ? node.firstSeenAt : root.firstSeenAt;
    added.push({ from: root.id, to: node.id, kind: 'RECORD', rule: SAME_RECORD_RULE, at, principal: null, traceId: null });
    union(node.id, root.id);
  }
  return added;
}

/** The shortest chain of edges from one identifier to another (breadth-first), or null when none joins them. */
export function linkPath(graph: IdentityGraphRecord, fromKey: string, toKey: string): { nodes: IdentityNodeRecord[]; edges: IdentityEdgeRecord[] } | null {
  const start = graph.nodes.find((node) => node.key === fromKey);
  const goal = graph.nodes.find((node) => node.key === toKey);
  if (!start || !goal) return null;
  const via = new Map<string, { node: string; edge: IdentityEdgeRecord } | null>([[start.id, null]]);
  const queue = [start.id];
  while (queue.length > 0 && !via.has(goal.id)) {
    const current = queue.shift()!;
    for (const edge of graph.edges) {
      const next = edge.from === current ? edge.to : edge.to === current ? edge.from : null;
      if (next === null || via.has(next)) continue;
      via.set(next, { node: current, edge });
      queue.push(next);
    }
  }
  if (!via.has(goal.id)) return null;
  const byId = new Map(graph.nodes.map((node) => [node.id, node]));
  const nodes: IdentityNodeRecord[] = [];
  const edges: IdentityEdgeRecord[] = [];
  for (let id: string | undefined = goal.id; id !== undefined; ) {
    nodes.unshift(byId.get(id)!);
    const step = via.get(id);
    if (step) edges.unshift(step.edge);
    id = step?.node;
  }
  return { nodes, edges };
}
