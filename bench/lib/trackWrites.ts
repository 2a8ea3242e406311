import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { CustomerRecord, EventRecord } from '../../src/domain/index.js';
import { EventWriter } from '../../src/identity/eventWriter.js';
import { newEventId, newToken } from '../../src/identity/ids.js';
import { IDEMPOTENCY_TTL_SECONDS } from '../../src/identity/track.js';

/** What one round of writes stored: the customer, its event and the idempotency key it claimed. */
export interface TrackWritten {
  readonly customerId: string;
  readonly eventId: string;
  readonly claimKey: string;
}

/**
 * The DynamoDB writes a `track` of a known customer with an idempotency key
 * makes, and nothing else (the ceiling of `track` ÷ `{ __typename }`,
 * bench/baselines/trackWrites.ts): for the next customer in turn, the
 * idempotency claim (a conditional PutItem) beside the event (through the
 * gateway's EventWriter, group-committed into BatchWriteItem calls), then the
 * customer's activity (a conditional UpdateItem of its traits and latest
 * event time), through the port it is given (the gateway's guarded single
 * view). No identity lookup (the customer is known), no segment evaluation or
 * change feed, no per-customer ordering. An activity write that finds the
 * customer changed counts in `conflicts` (it still cost its call).
 */
export class TrackWrites {
  conflicts = 0;
  private next = 0;
  private readonly events: EventWriter;

  private constructor(
    private readonly port: SingleViewPort,
    /** Each customer as this process last wrote it: its stored version and activity revision. */
    private readonly customers: CustomerRecord[],
  ) {
    this.events = new EventWriter(port);
  }

  /** Takes the customers as a `track` would find them: one whole write each first, as a customer's first `track` makes, gives them the activity revision that UpdateItem then moves on. */
  static async open(port: SingleViewPort, ids: readonly string[]): Promise<TrackWrites> {
    const customers: CustomerRecord[] = [];
    for (const id of ids) {
      const [stored] = await port.getCustomers([id]);
      if (!stored || stored instanceof Error) throw new Error(`customer ${id} is missing`);
      const version = stored.version ?? 0;
      if ((await port.replaceCustomer({ ...stored, version: version + 1 }, version)) !== 'written') throw new Error(`customer ${id} changed`);
      const [written] = await port.getCustomers([id]);
      if (!written || written instanceof Error || written.activityRevision === undefined) throw new Error(`customer ${id} has no activity revision after a replace`);
      customers.push(written);
    }
    return new TrackWrites(port, customers);
  }

  async write(): Promise<TrackWritten> {
    const index = this.next++ % this.customers.length;
    const customer = this.customers[index]!;
    const now = new Date();
    const at = now.toISOString();
    const event: EventRecord = { id: newEventId(now), customerId: customer.id, type: 'Product Viewed', occurredAt: at, receivedAt: at, channel: 'web', source: 'bench', properties: { sku: 'SKU-1042', price: 24.9, currency: 'EUR' }, via: null };
    const claimKey = `bench#${event.id}`;
    const claim = { key: claimKey, eventId: event.id, customerId: customer.id, occurredAt: at, claimedAt: at, expiresAt: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS };
    await Promise.all([this.port.claimIdempotencyKey(claim), this.events.put(event)]);
    const revision = customer.activityRevision ?? 0;
    const record: CustomerRecord = {
      ...customer,
      activityRevision: revision + 1,
      writeToken: newToken(),
      traits: { ...customer.traits, orderCount: (customer.traits?.orderCount ?? 0) + 1, lastSeenAt: at },
    };
    const outcome = await this.port.updateCustomerActivity(record, { version: customer.version ?? 0, activityRevision: revision });
    if (outcome === 'written') this.customers[index] = record;
    else this.conflicts++;
    return { customerId: customer.id, eventId: event.id, claimKey };
  }
}
