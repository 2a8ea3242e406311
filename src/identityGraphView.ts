import type { CustomerRecord, IdentityLogEntry } from './domain/index.js';
import type { GatewayContext } from './context.js';
import { buildIdentityGraph } from './identity/graphView.js';
import type { IdentityGraphModel } from './models.js';

/** Log entries read per customer for a graph: far more than one person's links and merges. */
const LOG_ENTRIES = 1000;

/**
 * A customer's identity graph, as Customer.identityGraph and explainLink
 * return it: built from the change logs of the customer, of every customer
 * it absorbed (their links among their own identifiers), and of the customer
 * an unmerge split it from (links made there before the split).
 */
export async function loadIdentityGraph(ctx: GatewayContext, record: CustomerRecord): Promise<IdentityGraphModel> {
  const partitions = [...new Set([record.id, ...(record.aliases ?? []), ...(record.splitFrom ? [record.splitFrom] : [])])];
  const logs = await Promise.all(partitions.map((id) => ctx.loaders.identityLog(id, LOG_ENTRIES)));
  const byPartition = new Map<string, readonly IdentityLogEntry[]>(partitions.map((id, i) => [id, logs[i]!]));
  const graph = buildIdentityGraph(record, byPartition);
  return {
    customerId: record.id,
    ownerId: record.id,
    nodes: graph.nodes.map((node) => ({ ...node, ownerId: record.id })),
    edges: graph.edges.map((edge) => ({ ...edge, ownerId: record.id })),
    log: byPartition.get(record.id) ?? [],
  };
}
