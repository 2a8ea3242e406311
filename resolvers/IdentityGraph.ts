import type { IdentityType } from '../src/domain/index.js';
import type { IdentityChangeKind, IdentityGraphResolvers } from '../src/generated/graphql.js';
import { pageSize } from '../src/validation.js';

/** The graph as loaded (src/identityGraphView.ts); the change log is paged here, identifiers by type and node only. */
export const IdentityGraph: IdentityGraphResolvers = {
  changes(graph, args) {
    const first = pageSize(args.first, 'first', 50);
    const nodeByKey = new Map(graph.nodes.map((node) => [node.key, node.id]));
    return graph.log.slice(0, first).map((entry) => ({
      kind: entry.kind.toUpperCase() as IdentityChangeKind,
      rule: entry.rule,
      at: entry.at,
      identityTypes: entry.identityKeys.map((key) => key.slice(0, key.indexOf('#')) as IdentityType),
      nodes: entry.identityKeys.flatMap((key) => nodeByKey.get(key) ?? []),
      otherCustomerId: entry.otherCustomerId ?? null,
      principal: entry.principal ?? null,
      traceId: entry.traceId ?? null,
      ownerId: graph.ownerId,
    }));
  },
};
