import type { MergeSuggestionResolvers } from '../src/generated/graphql.js';
import { customerNeeds, loadCustomers } from '../src/customers.js';
import type { CustomerModel } from '../src/models.js';

/** A merge suggestion: its two customers read as they are now (an absorbed id as its survivor, an erased one left out). */
export const MergeSuggestion: MergeSuggestionResolvers = {
  customerIds: ({ customerIds }) => [...customerIds],
  evidence: ({ evidence }) => [...evidence],

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
