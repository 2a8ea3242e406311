import type { IdentityKey } from './domain/index.js';
import type { GatewayContext } from './context.js';
import { loadCustomers } from './customers.js';
import { linkPath } from './identity/graphView.js';
import { isBlocked } from './identity/identityRules.js';

import { loadIdentityGraph } from './identityGraphView.js';
import type { LinkExplanationModel } from './models.js';
import { identityIndexKey } from './domain/index.js';

/**
 * explainLink: whom each identifier resolves to, and when both resolve to
 * one customer, the shortest chain of links in its identity graph from the
 * first to the second, each with the rule and time that made it.
 */
export async function explainLink(ctx: GatewayContext, a: IdentityKey, b: IdentityKey): Promise<LinkExplanationModel> {
  const [holderA, holderB] = await ctx.loaders.identities.loadMany([a, b]);
  for (const holder of [holderA, holderB]) if (holder instanceof Error) throw holder;
  const blocked = ctx.services.config.identity.blocked;
  const side = (key: IdentityKey, holder: unknown) => {
    const customerId = typeof holder === 'string' ? holder : null;
    return { type: key.type, customerId, blocked: isBlocked(blocked, key), ownerId: customerId ?? undefined };
  };
  const answer = { a: side(a, holderA), b: side(b, holderB) };
  // Whether the two are one person is about the holder of a (or of b when nobody holds a).
  const apart = { sameCustomer: false, ...answer, nodes: [], edges: [], ownerId: answer.a.ownerId ?? answer.b.ownerId };
  if (typeof holderA !== 'string' || holderA !== holderB) return apart;
  const [customer] = await loadCustomers(ctx, [holderA], { crm: false, loyalty: false });
  if (customer instanceof Error) throw customer;
  if (!customer) return apart;
  const graph = await loadIdentityGraph(ctx, customer.record);
  const path = linkPath({ customerId: graph.customerId, nodes: graph.nodes, edges: graph.edges }, identityIndexKey(a), identityIndexKey(b));
  const ownerId = customer.record.id;
  const nodes = (path?.nodes ?? []).map((node) => ({ ...node, ownerId }));
  const edges = (path?.edges ?? []).map((edge) => ({ ...edge, ownerId }));
  return { sameCustomer: true, ...answer, nodes, edges, ownerId };
}
