import type { CustomerResolvers } from '../src/generated/graphql.js';
import { eventQuery, loadBySourceKeys } from '../src/customers.js';
import { cursorOf } from '../src/cursor.js';
import type { EventRecord } from '../src/domain/index.js';
import { badUserInput } from '../src/errors.js';
import { consentHistory, timelinePage } from '../src/history.js';
import { loadIdentityGraph } from '../src/identityGraphView.js';
import { sourceKeysOf } from '../src/sourceKeys.js';

/** Consent decisions returned at most per request: a long history is a page, not the whole trail. */
const MAX_CONSENT_HISTORY = 500;

/**
 * A customer: single view fields from the record; CRM and loyalty through
 * their loaders, by the customer's own CRM_ID and LOYALTY_ID identities
 * (src/sourceKeys.ts), the identifier held longest first.
 */
export const Customer: CustomerResolvers = {
  id: ({ record }) => record.id,
  createdAt: ({ record }) => record.createdAt,
  updatedAt: ({ record }) => record.updatedAt,

  /** The golden record: the single view wins, the CRM contacts fill gaps when they answer (the primary contact first). */
  async profile({ record }, _args, ctx) {
    const profile = { ...record.profile, ownerId: record.id };
    const gaps = (['firstName', 'lastName', 'email', 'phone'] as const).filter((field) => !profile[field]);
    if (gaps.length === 0) return profile;
    try {
      const contacts = await loadBySourceKeys((keys) => ctx.loaders.crm.loadMany(keys), sourceKeysOf(record).crm);
      for (const field of gaps) profile[field] = contacts.find((contact) => contact[field])?.[field] ?? null;
    } catch {
      // The CRM's failure is reported on `crm`; the profile stands on the single view.
    }
    return profile;
  },

  identities: ({ record }) => record.identities.map((identity) => ({ ...identity, ownerId: record.id })),

  async events({ record }, args, ctx) {
    // The root field may have started this very page already (src/customers.ts); the loader remembers it.
    // A merged customer's page gathers the ids it absorbed too (src/history.ts).
    const page = await timelinePage(ctx.loaders, record, eventQuery(args));
    const edges = page.events.map((event) => ({
      cursor: cursorOf(event, eventPosition),
      node: { ...event, ownerId: record.id },
    }));
    return { edges, pageInfo: { hasNextPage: page.hasNextPage, endCursor: edges.at(-1)?.cursor ?? null } };
  },

  segments: ({ record }, _args, ctx) =>
    record.segments.filter((membership) => ctx.services.segments.get(membership.segmentId)).map((membership) => ({ ...membership, ownerId: record.id })),

  consents: ({ record }) => record.consents.map((consent) => ({ ...consent, ownerId: record.id })),

  async consentHistory({ record }, args, ctx) {
    const first = args.first ?? 50;
    if (!Number.isInteger(first) || first < 1 || first > MAX_CONSENT_HISTORY) {
      throw badUserInput(`first must be between 1 and ${MAX_CONSENT_HISTORY}.`, 'first');
    }
    const history = await consentHistory(ctx.loaders, record, args.purpose ?? undefined, first);
    return history.map((change) => ({ ...change, ownerId: record.id }));
  },

  async loyalty({ record }, _args, ctx) {
    const [primary] = await loadBySourceKeys((keys) => ctx.loaders.loyalty.loadMany(keys), sourceKeysOf(record).loyalty);
    return primary ? { ...primary, ownerId: record.id } : null;
  },

  async loyaltyAccounts({ record }, _args, ctx) {
    const accounts = await loadBySourceKeys((keys) => ctx.loaders.loyalty.loadMany(keys), sourceKeysOf(record).loyalty);
    return accounts.map((account) => ({ ...account, ownerId: record.id }));
  },

  async crm({ record }, _args, ctx) {
    const [primary] = await loadBySourceKeys((keys) => ctx.loaders.crm.loadMany(keys), sourceKeysOf(record).crm);
    return primary ? { ...primary, ownerId: record.id } : null;
  },

  async crmRecords({ record }, _args, ctx) {
    const contacts = await loadBySourceKeys((keys) => ctx.loaders.crm.loadMany(keys), sourceKeysOf(record).crm);
    return contacts.map((contact) => ({ ...contact, ownerId: record.id }));
  },

  traits: ({ record }) => ({ ...record.traits, ownerId: record.id }),

  identityGraph: ({ record }, _args, ctx) => loadIdentityGraph(ctx, record),
};

/** An event's place in its timeline, as its cursor names it. */
function eventPosition(event: EventRecord): { at: string; id: string } {
  return { at: event.occurredAt, id: event.id };
}
