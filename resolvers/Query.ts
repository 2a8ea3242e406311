import { writeContext } from '../src/context.js';
import { badUserInput, forbidden, safeErrorDetail } from '../src/errors.js';
import { markVerified } from '../src/identity/mergeEngine.js';

import { customerNeeds, loadCustomers } from '../src/customers.js';
import { decodeCursor, encodeCursor } from '../src/cursor.js';
import type { QueryResolvers } from '../src/generated/graphql.js';
import { explainLink } from '../src/explainLink.js';
import { suggestionModels } from '../src/mergeSuggestions.js';
import { customerId, customerIds, identityKey, pageSize } from '../src/validation.js';
import { withItemErrors } from './fieldErrors.js';
import { identityIndexKey } from '../src/domain/index.js';

/** Root reads. Each validates its arguments, then goes through the request's loaders. */
export const Query: QueryResolvers = {
  async customer(_root, args, ctx, info) {
    const [customer] = await loadCustomers(ctx, [customerId(args.id, 'id')], customerNeeds(info));
    if (customer instanceof Error) throw customer;
    return customer ?? null;
  },

  async customerByIdentity(_root, args, ctx, info) {
    const key = identityKey(args.type, args.value, 'value', ctx.services.config.phoneDefaultRegion);
    const holder = await ctx.loaders.identities.load(key);
    if (holder === null) return null;
    const [customer] = await loadCustomers(ctx, [holder], customerNeeds(info));
    if (customer instanceof Error) throw customer;
    return customer ?? null;
  },

  async customers(_root, args, ctx, info) {
    return withItemErrors(await loadCustomers(ctx, customerIds(args.ids, 'ids'), customerNeeds(info)));
  },

  /** The customer holding the token's verified login; null when nobody holds it yet. */
  async me(_root, _args, ctx, info) {
    const { login } = ctx.principal;
    if (ctx.principal.kind !== 'customer' || login === undefined) {
      throw forbidden('me is for end-user tokens; use customer(id:) with an API key.');
    }
    // The customer that held the login last time is read beside the lookup (one round of source
    // latency instead of two); only the lookup's answer decides whose record this is.
    const loginKey = identityIndexKey(login);
    const hinted = ctx.services.sourceKeyHints.holderOf(loginKey);
    const early = hinted === undefined ? undefined : loadCustomers(ctx, [hinted], customerNeeds(info));
    early?.catch(() => undefined);
    const holder = await ctx.loaders.identities.load(login);
    ctx.services.sourceKeyHints.rememberHolder(loginKey, holder);
    if (holder === null) return null;
    ctx.privacy.bindCaller(holder);
    const [customer] = await (holder === hinted && early ? early : loadCustomers(ctx, [holder], customerNeeds(info)));
    if (customer instanceof Error) throw customer;
    if (!customer) return null;
    const held = customer.record.identities.find((identity) => identityIndexKey(identity) === identityIndexKey(login));
    if (!held || held.verified) return customer;
    // The token's own verified claim: recorded once on the customer; a failure costs only the record, not the answer.
    try {
      await ctx.services.identity.recordVerifiedLogin(login, customer.record.id, writeContext(ctx));
      return { record: { ...customer.record, identities: markVerified(customer.record.identities, new Set([identityIndexKey(login)])) } };
    } catch (error) {
      ctx.logger.warn({ err: safeErrorDetail(error) }, 'could not record a verified login');
      return customer;
    }
  },

  segments(_root, _args, ctx) {
    return [...ctx.services.segments.list()];
  },

  segment(_root, args, ctx) {
    if (args.id.length > 64) throw badUserInput('id is not a segment id (at most 64 characters).', 'id');
    return ctx.services.segments.get(args.id) ?? null;
  },

  viewer(_root, _args, { principal }) {
    return {
      id: principal.id,
      name: principal.name,
      kind: principal.kind,
      scopes: [...principal.scopes].sort(),
      purposes: [...principal.purposes],
    };
  },

  async auditTrail(_root, args, ctx) {
    const id = customerId(args.customerId, 'customerId');
    const first = pageSize(args.first, 'first');
    const after = decodeCursor(args.after, 'after');
    // Reads of this customer whose responses left before their exact records landed: this instance answers after them.
    await ctx.services.audit.settled(id);
    const page = await ctx.loaders.auditTrail(id, first, after);
    const edges = page.records.map((node) => ({ cursor: encodeCursor({ at: node.at, id: node.id }), node }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  },

  async mergeSuggestions(_root, args, ctx) {
    const first = pageSize(args.first, 'first');
    const after = decodeCursor(args.after, 'after');
    const minProbability = args.minProbability ?? 0;
    if (!(minProbability >= 0 && minProbability <= 1)) throw badUserInput('minProbability must be between 0 and 1.', 'minProbability');
    const query = { status: args.status ?? 'OPEN', first, after: after && { createdAt: after.at, id: after.id } };
    const page = await ctx.services.identity.mergeSuggestions(query, writeContext(ctx));
    const nodes = await suggestionModels(ctx, page.suggestions.filter((suggestion) => suggestion.probability >= minProbability));
    const edges = nodes.map((node) => ({ cursor: encodeCursor({ at: node.createdAt, id: node.id }), node }));
    const last = page.suggestions.at(-1);
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: last ? encodeCursor({ at: last.createdAt, id: last.id }) : null } };
  },

  explainLink(_root, args, ctx) {
    const region = ctx.services.config.phoneDefaultRegion;
    return explainLink(ctx, identityKey(args.a.type, args.a.value, 'a.value', region), identityKey(args.b.type, args.b.value, 'b.value', region));
  },
};
