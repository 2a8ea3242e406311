import DataLoader from 'dataloader';
import type { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import type { EventRecord, SingleViewPort } from '../../connectors/singleview/port.js';

/** DynamoDB's BatchWriteItem limit. */
const MAX_BATCH = 25;

/**
 * Event writes from all requests in flight, gathered per tick into one
 * BatchWriteItem (DataLoader's batching, without its cache). Under load,
 * concurrent `track` calls share a round trip for their events and keep one
 * conditional write each for their customer. A caller resolves only once its
 * event is stored, which the merge ordering relies on.
 */
export class EventWriter {
  private readonly loader: DataLoader<EventRecord, void, string>;

  constructor(singleView: SingleViewPort, guard: SourceGuard) {
    this.loader = new DataLoader<EventRecord, void, string>(
      async (events) => {
        await guard.run({ operation: 'putEvents', batchSize: events.length, idempotent: true }, (signal) => singleView.putEvents(events, { signal }));
        return events.map(() => undefined);
      },
      { cache: false, maxBatchSize: MAX_BATCH },
    );
  }

  put(event: EventRecord): Promise<void> {
    return this.loader.load(event);
  }
}
