import DataLoader from 'dataloader';
import type { EventRecord } from '../domain/index.js';
import type { EventPort } from '../../connectors/singleview/port.js';

/** DynamoDB's BatchWriteItem limit. */
const MAX_BATCH = 25;
/** Event writes in flight at once; events that arrive meanwhile wait and go out together. */
const MAX_IN_FLIGHT = 2;

/**
 * Event writes from all requests in flight, gathered into BatchWriteItem
 * calls (DataLoader's batching, without its cache) by group commit: a write
 * goes out at once (after the current tick) while fewer than MAX_IN_FLIGHT
 * are in flight, otherwise it waits for one to finish and leaves with
 * everything that arrived meanwhile. An idle gateway adds no delay; a busy
 * one sends one call for many events instead of one each, because requests
 * under load reach this point in different ticks. A caller resolves only
 * once its event is stored, which the merge ordering relies on.
 */
export class EventWriter {
  private readonly loader: DataLoader<EventRecord, void, string>;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  /** `singleView` is the guarded port (src/sources.ts): an event put is idempotent, so its guard retries it within the deadline. */
  constructor(singleView: Pick<EventPort, 'putEvents'>) {
    this.loader = new DataLoader<EventRecord, void, string>(
      async (events) => {
        try {
          await singleView.putEvents(events);
          return events.map(() => undefined);
        } finally {
          this.finished();
        }
      },
      { cache: false, maxBatchSize: MAX_BATCH, batchScheduleFn: (dispatch) => this.schedule(dispatch) },
    );
  }

  put(event: EventRecord): Promise<void> {
    return this.loader.load(event);
  }

  /** Writes in flight, and batches formed and waiting for one of them to finish. */
  get pending(): { readonly inFlight: number; readonly waiting: number } {
    return { inFlight: this.inFlight, waiting: this.waiting.length };
  }

  private schedule(dispatch: () => void): void {
    if (this.inFlight < MAX_IN_FLIGHT) {
      this.inFlight += 1;
      // DataLoader's own default: after the promise jobs of this tick, so one tick's events share a call.
      void Promise.resolve().then(() => process.nextTick(dispatch));
    } else {
      this.waiting.push(dispatch);
    }
  }

  private finished(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight -= 1;
  }
}
