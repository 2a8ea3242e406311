import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { CustomerRecord } from '../../src/domain/index.js';

/**
 * A customer as its DynamoDB item: what conditions and projections name stay
 * attributes of their own (`id`, `version`, `mergedInto`, `mergeState`), and
 * the rest — profile, identities, consents, segments, traits, latest events —
 * is one binary attribute `body`, deflated JSON. A `track` rewrites the
 * customer on every event, and DynamoDB bills a write per started 1 KB of
 * the whole item: a typical customer of about 2 KB as attributes is 3 write
 * units, as an item with a deflated body 1 (docs/capacity.md). Items written
 * before hold every field as an attribute and are read as they are.
 */
const KEPT = ['id', 'version', 'mergedInto', 'mergeState'] as const;

export const CUSTOMER_BODY_ATTRIBUTE = 'body';

export function customerItem(record: CustomerRecord): Record<string, unknown> {
  // The activity revision is the activity item's (customerActivity.ts), never stored here.
  const { activityRevision: _revision, ...fields } = record;
  const body: Record<string, unknown> = { ...fields };
  const item: Record<string, unknown> = {};
  for (const name of KEPT) {
    if (body[name] !== undefined && body[name] !== null) item[name] = body[name];
    delete body[name];
  }
  item[CUSTOMER_BODY_ATTRIBUTE] = deflateRawSync(JSON.stringify(body));
  return item;
}

/** The item's fields as one object for the customer schema: a deflated body unpacked, an item of plain attributes as it is. */
export function customerFields(item: Record<string, unknown>): Record<string, unknown> {
  const body = item[CUSTOMER_BODY_ATTRIBUTE];
  if (!(body instanceof Uint8Array)) return item;
  const { [CUSTOMER_BODY_ATTRIBUTE]: _body, ...attributes } = item;
  return { ...(JSON.parse(inflateRawSync(body).toString('utf8')) as Record<string, unknown>), ...attributes };
}
