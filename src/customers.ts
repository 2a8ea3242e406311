import { BREAK, getArgumentValues, isObjectType, visit } from 'graphql';
import type { FieldNode, GraphQLResolveInfo } from 'graphql';
import type { CustomerRecord, EventQuery } from './domain/index.js';
import type { GatewayContext } from './context.js';
import { badUserInput } from './errors.js';
import { decodeCursor } from './cursor.js';
import type { CustomerEventsArgs } from './generated/graphql.js';
import { selectedFields } from './graphql/selection.js';
import type { CustomerModel } from './models.js';
import { sourceKeysOf } from './sourceKeys.js';
import type { SourceKeys } from './sourceKeys.js';
import { pageSize } from './validation.js';

/** Which sources beyond the single view a selection on Customer will read. */
export interface CustomerNeeds {
  readonly crm: boolean;
  readonly loyalty: boolean;
  /** The page of events the selection asks for, when it can be read before the customer is. */
  readonly events?: EventQuery | undefined;
}

export function customerNeeds(info: GraphQLResolveInfo): CustomerNeeds {
  // The selection is the document's: worked out once per field node (the parsed document is cached, so its nodes
  // are the same objects on every request of the operation); only an events page whose arguments use variables
  // is read again per request.
  const node = info.fieldNodes.length === 1 ? info.fieldNodes[0]! : undefined;
  let selected = node && selectedNeeds.get(node);
  if (!selected) {
    selected = selectedNeedsOf(info);
    if (node) selectedNeeds.set(node, selected);
  }
  const { events } = selected;
  if (events === undefined) return selected.needs;
  return { ...selected.needs, events: prefetchableEventQuery(info, events) };
}

/** What a Customer selection needs, apart from an events page that depends on the request's variables (`events`). */
interface SelectedNeeds {
  readonly needs: CustomerNeeds;
  readonly events: FieldNode | undefined;
}

const selectedNeeds = new WeakMap<FieldNode, SelectedNeeds>();

function selectedNeedsOf(info: GraphQLResolveInfo): SelectedNeeds {
  const fields = selectedFields(info);
  const named = (name: string) => fields.filter((field) => field.name.value === name);
  const events = named('events');
  const crm = named('crm').length > 0 || named('crmRecords').length > 0 || named('profile').length > 0;
  const loyalty = named('loyalty').length > 0 || named('loyaltyAccounts').length > 0;
  // One `events` selection can start with the others; aliased pages with other arguments wait their turn.
  if (events.length !== 1) return { needs: { crm, loyalty, events: undefined }, events: undefined };
  const page = events[0]!;
  if (usesVariables(page)) return { needs: { crm, loyalty }, events: page };
  return { needs: { crm, loyalty, events: prefetchableEventQuery(info, page) }, events: undefined };
}

function usesVariables(node: FieldNode): boolean {
  let found = false;
  // The field's arguments and directives, not the fields below it.
  visit({ ...node, selectionSet: undefined }, {
    Variable() {
      found = true;
      return BREAK;
    },
  });
  return found;
}

/** `Customer.events` arguments as a single view query; BAD_USER_INPUT names the argument. */
export function eventQuery(args: CustomerEventsArgs): EventQuery {
  // An empty window is the caller's mistake, refused before the single view is asked (which would call it a ValidationException).
  if (args.since && args.until && args.since.getTime() > args.until.getTime()) {
    throw badUserInput('since must not be later than until.', 'since');
  }
  const after = decodeCursor(args.after, 'after');
  return {
    first: pageSize(args.first, 'first'),
    order: args.order ?? 'OLDEST_FIRST',
    after: after && { occurredAt: after.at, id: after.id },
    types: args.types ?? undefined,
    since: args.since?.toISOString(),
    until: args.until?.toISOString(),
  };
}

function prefetchableEventQuery(info: GraphQLResolveInfo, node: Parameters<typeof getArgumentValues>[1]): EventQuery | undefined {
  const customer = info.schema.getType('Customer');
  const field = isObjectType(customer) ? customer.getFields().events : undefined;
  if (!field) return undefined;
  try {
    return eventQuery(getArgumentValues(field, node, info.variableValues) as CustomerEventsArgs);
  } catch {
    return undefined; // Customer.events reports the bad argument at its own path.
  }
}

/**
 * Customers by id, as the root fields return them: the single view record of
 * each id's canonical customer (resolution follows merges), `null` for an id
 * no customer has, an Error where a source failed for that id.
 *
 * Resolution, the single view and the events page start in the same tick.
 * The CRM and loyalty are asked by the customer's own CRM_ID and LOYALTY_ID
 * identities, which the single view record holds: for a customer this
 * process has read before they start in that same tick too, by the keys it
 * remembers (src/sourceKeys.ts), so a full customer costs one round of
 * source latency; for one it has not, they start the moment the record
 * arrives (a second round). An id absorbed by a merge costs a further round
 * for its survivor's record.
 */
export async function loadCustomers(
  ctx: GatewayContext,
  ids: readonly string[],
  needs: CustomerNeeds,
): Promise<Array<CustomerModel | null | Error>> {
  const { loaders } = ctx;
  const concurrent = ctx.services.config.batching;
  // The read's audit record starts now, beside the reads (src/audit/readAudit.ts).
  ctx.readAudit?.expect(ids);
  if (concurrent) prefetch(ctx, ids, needs);
  // The naive benchmark baseline (batching off) asks one source after another:
  // resolution, the single view, then CRM and loyalty (loadOneSourceAfterAnother).
  const [canonical, records] = concurrent
    ? await Promise.all([loaders.canonicalIds.loadMany(ids), loaders.customers.loadMany(ids)])
    : [await loaders.canonicalIds.loadMany(ids), await loaders.customers.loadMany(ids)];
  const targets = ids.map((id, i) => canonicalTarget(ctx, id, canonical[i], records[i]));
  const own = records.filter((record, i): record is CustomerRecord => isRecord(record) && targets[i] === ids[i]);
  if (concurrent) prefetchSourceRecords(ctx, own, needs);

  const survivors = [...new Set(targets.filter((t, i): t is string => typeof t === 'string' && t !== ids[i]))];
  ctx.readAudit?.expect(survivors);
  if (concurrent) prefetch(ctx, survivors, needs);
  const survivorRecords = new Map<string, CustomerRecord | null | Error>();
  (await loaders.customers.loadMany(survivors)).forEach((record, i) => survivorRecords.set(survivors[i]!, record));

  const customers = targets.map((target, i) => {
    if (target === null || target instanceof Error) return target;
    const record = target === ids[i] ? records[i] : survivorRecords.get(target);
    if (record === null || record === undefined || record instanceof Error) return record ?? null;
    ctx.services.sourceKeyHints.remember(record, ids[i]);
    return { record };
  });
  const found = customers.filter((customer): customer is CustomerModel => customer !== null && !(customer instanceof Error)).map((c) => c.record);
  if (concurrent && found.length > own.length) {
    const started = new Set(own);
    prefetchSourceRecords(ctx, found.filter((record) => !started.has(record)), needs);
  }
  else await loadOneSourceAfterAnother(ctx, found, needs);
  return customers;
}

function isRecord(record: CustomerRecord | null | Error | undefined): record is CustomerRecord {
  return record !== null && record !== undefined && !(record instanceof Error);
}

/**
 * Which customer an asked id stands for. Resolution is the authority on
 * merges; when it fails, the single view's own merge link is the fallback,
 * so a resolution outage does not take reads by id down with it.
 */
function canonicalTarget(
  ctx: GatewayContext,
  id: string,
  canonical: string | null | Error | undefined,
  record: CustomerRecord | null | Error | undefined,
): string | null | Error {
  if (!(canonical instanceof Error)) return canonical ?? null;
  ctx.logger.warn({ source: 'resolution' }, 'resolution failed; following the single view merge link instead');
  if (record === undefined || record === null || record instanceof Error) return record ?? null;
  return record.mergedInto ?? id;
}

/**
 * The naive baseline's CRM and loyalty reads: each source only after the
 * previous one answered (and, with batching off, one call per key). The
 * resolvers then find these records in the loaders' per-request cache.
 */
async function loadOneSourceAfterAnother(ctx: GatewayContext, records: readonly CustomerRecord[], needs: CustomerNeeds): Promise<void> {
  const keys = records.map(sourceKeysOf);
  if (needs.crm) await ctx.loaders.crm.loadMany(keys.flatMap((k) => k.crm));
  if (needs.loyalty) await ctx.loaders.loyalty.loadMany(keys.flatMap((k) => k.loyalty));
}

/**
 * Starts the events pages, and the CRM and loyalty batches by the keys this
 * process remembers for these ids, now; resolvers later read the same loader
 * promises (an id absorbed by a merge reads its survivor's events later,
 * under the survivor's id).
 */
function prefetch(ctx: GatewayContext, ids: readonly string[], needs: CustomerNeeds): void {
  if (ids.length === 0) return;
  const hinted = ids.flatMap((id) => ctx.services.sourceKeyHints.get(id) ?? []);
  startSourceLoads(ctx, hinted, needs);
  const events = needs.events;
  // The resolver that awaits this page sees its failure; this branch only keeps it from going unhandled.
  if (events) for (const id of new Set(ids)) ctx.loaders.events(id, events).catch(() => undefined);
}

/** The CRM and loyalty batches for records just read; keys a hint already started are not asked again (the loaders cache them). */
function prefetchSourceRecords(ctx: GatewayContext, records: readonly CustomerRecord[], needs: CustomerNeeds): void {
  startSourceLoads(ctx, records.map(sourceKeysOf), needs);
}

function startSourceLoads(ctx: GatewayContext, keys: readonly SourceKeys[], needs: CustomerNeeds): void {
  // loadMany never rejects (failures become Error entries), so nothing here goes unhandled.
  const crm = needs.crm ? keys.flatMap((k) => k.crm) : [];
  const loyalty = needs.loyalty ? keys.flatMap((k) => k.loyalty) : [];
  if (crm.length > 0) void ctx.loaders.crm.loadMany(crm);
  if (loyalty.length > 0) void ctx.loaders.loyalty.loadMany(loyalty);
}

/**
 * A customer's records in a source keyed by its own ids (src/sourceKeys.ts),
 * in key order, the primary first. A key that failed fails the whole list:
 * whether it would have been the primary record cannot be known.
 */
export async function loadBySourceKeys<T>(load: (keys: readonly string[]) => Promise<Array<T | null | Error>>, keys: readonly string[]): Promise<T[]> {
  if (keys.length === 0) return [];
  const results = await load(keys);
  const error = results.find((result): result is Error => result instanceof Error);
  if (error) throw error;
  return results.filter((result): result is T => result !== null && !(result instanceof Error));
}
