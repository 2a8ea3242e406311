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

  /** For `decorateSources`. */
  readonly decorate = (sources: Sources): Sources => ({ ...sources, singleView: this.wrap(sources.singleView) });

  private wrap(real: SingleViewPort): SingleViewPort {
    const appendAudits = async (records: readonly AuditRecordModel[], options?: CallOptions): Promise<Array<void | Error>> => {
      const hold = this.holdNextMs;
      this.holdNextMs = 0;
      if (hold > 0) await sleep(hold);
      const operations = records.map((record) => record.operation);
      const failed = this.down || (this.poison !== undefined && operations.includes(this.poison));
      this.writes.push({ operations, failed });
      if (failed) throw Object.assign(new Error('One or more parameter values were invalid: Item size has exceeded the maximum allowed size'), { name: 'ValidationException' });
      return real.appendAudits(records, options);
    };
    return new Proxy(real, {
      get: (target, property, receiver) => (property === 'appendAudits' ? appendAudits : Reflect.get(target, property, receiver)),
    });
  }
}
