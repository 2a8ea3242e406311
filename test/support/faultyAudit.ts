import { setTimeout as sleep } from 'node:timers/promises';
import type { AuditRecordModel } from '../../src/domain/index.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import type { Sources } from '../../src/sources.js';

/**
 * Faults of the audit table only, injected at the single view port around
 * the real adapter (createGateway's `decorateSources`): every other call,
 * and every audit write while no fault is set, goes to dynalite as usual.
 * Counts the writes it saw, like DataLoader's tests count loads.
 */
export class AuditFaults {
  /** Every audit write fails, as when the table is unreachable. */
  down = false;
  /** A write holding a record of this operation fails as a whole, as DynamoDB refuses a batch with one bad item. */
  poison: string | undefined;
  /** The next write waits this long first, so requests that arrive meanwhile queue up and share the write after it. */
  holdNextMs = 0;
  readonly writes: Array<{ readonly operations: readonly string[]; readonly failed: boolean }> = [];
  /** A write holding a record this matches fails as a whole (e.g. only a read's intent records, or only its exact ones). */
  failWhen: ((record: AuditRecordModel) => boolean) | undefined;
  /** A write holding a record this matches waits for `until` first (a completion held back while the test looks). */
  holdWhen: { readonly test: (record: AuditRecordModel) => boolean; readonly until: Promise<void> } | undefined;
  /** The records of every write, in arrival order (before any fault or hold applies). */
  readonly received: Array<readonly AuditRecordModel[]> = [];
  private readonly waiting: Array<{ readonly test: (record: AuditRecordModel) => boolean; readonly resolve: () => void }> = [];

  /** Runs `run` with every audit write failing, and the table back up after it, however it ends. */
  async whileDown<T>(run: () => Promise<T>): Promise<T> {
    this.down = true;
    try {
      return await run();
    } finally {
      this.down = false;
    }
  }

  /** Resolves when a write holding a record this matches arrives at the store (already arrived: at once). */
  arrival(test: (record: AuditRecordModel) => boolean): Promise<void> {
    if (this.received.some((records) => records.some(test))) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ test, resolve }));
  }

  /** For `decorateSources`. */
  readonly decorate = (sources: Sources): Sources => ({ ...sources, singleView: this.wrap(sources.singleView) });

  private wrap(real: SingleViewPort): SingleViewPort {
    const appendAudits = async (records: readonly AuditRecordModel[], options?: CallOptions): Promise<Array<void | Error>> => {
      this.received.push(records);
      for (const waiter of this.waiting.filter((w) => records.some(w.test))) {
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        waiter.resolve();
      }
      const held = this.holdWhen;
      if (held && records.some(held.test)) await held.until;
      const hold = this.holdNextMs;
      this.holdNextMs = 0;
      if (hold > 0) await sleep(hold);
      const operations = records.map((record) => record.operation);
      const failed = this.down || (this.poison !== undefined && operations.includes(this.poison)) || (this.failWhen !== undefined && records.some(this.failWhen));
      this.writes.push({ operations, failed });
      if (failed) throw Object.assign(new Error('One or more parameter values were invalid: Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
      return real.appendAudits(records, options);
    };
    return new Proxy(real, {
      get: (target, property, receiver) => (property === 'appendAudits' ? appendAudits : Reflect.get(target, property, receiver)),
    });
  }
}
