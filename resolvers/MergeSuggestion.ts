import type { MergeSuggestionResolvers } from '../src/generated/graphql.js';
import { customerNeeds, loadCustomers } from '../src/customers.js';
import type { CustomerModel } from '../src/models.js';

/** A merge suggestion: its two customers read as they are now (an absorbed id as its survivor, an erased one left out). */
export const MergeSuggestion: MergeSuggestionResolvers = {
  customerIds: ({ customerIds }) => [...customerIds],
  // Each item is about both customers, like the suggestion: its weight is decided for each of them.
  evidence: ({ evidence, ownerIds }) => evidence.map((item) => ({ ...item, ownerIds })),

  async customers({ customerIds }, _args, ctx, info) {
    const loaded = await loadCustomers(ctx, customerIds, customerNeeds(info));
    const customers = new Map<string, CustomerModel>();
    for (const customer of loaded) {
      if (customer instanceof Error) throw customer;
      if (customer) customers.set(customer.record.id, customer);
    }
    return [...customers.values()];
  },
};
