import { trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import { guardPort } from '../../connectors/resilience/guardedPort.js';
import { SourceGuard } from '../../connectors/resilience/sourceGuard.js';
import { SINGLE_VIEW_CALLS } from '../../connectors/singleview/port.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import type { EventRecord } from '../domain/index.js';
import { EventWriter } from './eventWriter.js';

const event = (n: number): EventRecord => ({
  id: `evt_${String(n).padStart(3, '0')}`,
  customerId: `cus_${n % 3}`,
  type: 'Product Viewed',
  occurredAt: `2026-11-23T10:00:${String(n % 60).padStart(2, '0')}.000Z`,
  receivedAt: '2026-11-23T10:01:00.000Z',
  channel: 'web',
  source: 'test',
  properties: null,
  via: null,
});

/** The memory single view, with every putEvents held until the test lets it go, and the batch sizes it was given. */
class GatedSingleView extends MemorySingleView {
  readonly batches: number[] = [];
  private readonly gates: Array<() => void> = [];

  override async putEvents(events: readonly EventRecord[], options?: CallOptions): Promise<void> {
    this.batches.push(events.length);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    return super.putEvents(events, options);
  }

  release(): void {
    for (const open of this.gates.splice(0)) open();
  }
}

const guarded = (port: SingleViewPort) => guardPort(port, new SourceGuard({ source: 'singleview', timeoutMs: 5_000, retries: 0, breakerThreshold: 5, halfOpenAfterMs: 1_000, tracer: trace.getTracer('test') }), SINGLE_VIEW_CALLS);
const ticks = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('EventWriter group commit', () => {
  it('sends a lone event at once, and gathers the events that arrive while writes are in flight into one call', async () => {
    const store = new GatedSingleView();
    const writer = new EventWriter(guarded(store));

    const first = writer.put(event(0));
    await ticks(2);
    expect(store.batches).toEqual([1]);
    const second = writer.put(event(1));
    await ticks(2);
    expect(store.batches).toEqual([1, 1]);

    // Both slots taken: these wait, across many ticks, and leave together.
    const later: Array<Promise<void>> = [];
    for (let n = 2; n < 12; n++) {
      later.push(writer.put(event(n)));
      await ticks(1);
    }
    expect(store.batches).toEqual([1, 1]);
    expect(writer.pending).toEqual({ inFlight: 2, waiting: 1 });

    store.release();
    await Promise.all([first, second]);
    await ticks(2);
    expect(store.batches).toEqual([1, 1, 10]);
    store.release();
    await Promise.all(later);
    expect(writer.pending).toEqual({ inFlight: 0, waiting: 0 });

    const stored = await Promise.all(['cus_0', 'cus_1', 'cus_2'].map((id) => store.getEvents(id, { first: 20 })));
    expect(stored.flatMap((page) => page.events.map((e) => e.id)).sort()).toEqual(Array.from({ length: 12 }, (_, n) => event(n).id));
  });

  it('splits what waited into batches of 25, and frees its slot when a write fails', async () => {
    const store = new GatedSingleView();
    const writer = new EventWriter(guarded(store));
    const held = [writer.put(event(0)), writer.put(event(1))];
    await ticks(2);
    expect(store.batches).toEqual([2]);
    const second = writer.put(event(2));
    await ticks(2);
    const waiting = Array.from({ length: 30 }, (_, n) => writer.put(event(n + 3)));
    await ticks(2);
    expect(writer.pending).toEqual({ inFlight: 2, waiting: 2 });
    store.release();
    await Promise.all([...held, second]);
    await ticks(2);
    expect(store.batches).toEqual([2, 1, 25, 5]);
    store.release();
    await Promise.all(waiting);

    const failing = new EventWriter(guarded(Object.assign(new MemorySingleView(), { putEvents: () => Promise.reject(new Error('disk full')) })));
    await expect(failing.put(event(0))).rejects.toThrow();
    await expect(failing.put(event(1))).rejects.toThrow();
    expect(failing.pending).toEqual({ inFlight: 0, waiting: 0 });
  });
});
