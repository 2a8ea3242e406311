import { setTimeout as sleep } from 'node:timers/promises';
import { MongoNetworkError } from 'mongodb';
import type { CallOptions } from '../../connectors/resilience/callOptions.js';
import { malformedPayload } from '../../connectors/resilience/sourceError.js';
import type { CrmContactRecord, CrmPort } from '../../connectors/crm/port.js';
import { crmContactSchema } from '../../connectors/crm/schemas.js';

/** How the CRM misbehaves. */
export type CrmFault =
  | { readonly kind: 'ok' }
  /** The driver cannot reach the server (MongoDB's own network error). */
  | { readonly kind: 'down' }
  /** Every other call is `down`: flapping that does not depend on timing. */
  | { readonly kind: 'flapping' }
  | { readonly kind: 'delay'; readonly ms: number }
  /** Every document fails the MongoDB adapter's schema: a per-record Error, as that adapter reports it. */
  | { readonly kind: 'malformed' }
  /** The port breaks its own contract (a contact without `cases`): a bug, not a source failure. */
  | { readonly kind: 'broken-contract' };

/**
 * There is no MongoDB server on this machine, so CRM faults are injected at
 * the port, around the real embedded adapter (registered through
 * createGateway's `decorateSources` hook): the errors are the ones the
 * MongoDB driver and adapter raise. Counts calls, like DataLoader's tests.
 */
export class FaultyCrm implements CrmPort {
  fault: CrmFault = { kind: 'ok' };
  calls = 0;
  /** Calls that got a fault instead of the embedded adapter's answer. */
  faults = 0;

  constructor(private readonly real: CrmPort) {}

  async getMany(crmIds: readonly string[], options?: CallOptions): Promise<ReadonlyArray<CrmContactRecord | null | Error>> {
    this.calls++;
    const fault: CrmFault = this.fault.kind === 'flapping' ? (this.calls % 2 === 1 ? { kind: 'down' } : { kind: 'ok' }) : this.fault;
    if (fault.kind !== 'ok') this.faults++;
    switch (fault.kind) {
      case 'down':
        throw new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');
      case 'delay':
        await sleep(fault.ms, undefined, { signal: options?.signal });
        break;
      case 'malformed':
        return crmIds.map((crmId) => {
          const parsed = crmContactSchema.safeParse({ crmId, cases: 'none' });
          return parsed.success ? new Error('expected a malformed document') : malformedPayload('crm', parsed.error.issues);
        });
      case 'broken-contract': {
        const records = await this.real.getMany(crmIds, options);
        return records.map((record) => (record && !(record instanceof Error) ? ({ ...record, cases: undefined } as unknown as CrmContactRecord) : record));
      }
      case 'ok':
        break;
    }
    return this.real.getMany(crmIds, options);
  }

  async health(options?: CallOptions): Promise<void> {
    const fault = this.fault;
    if (fault.kind === 'down') throw new MongoNetworkError('connect ECONNREFUSED 127.0.0.1:27017');
    if (fault.kind === 'delay') await sleep(fault.ms, undefined, { signal: options?.signal });
    return this.real.health(options);
  }

  /** Erasure is not under test here: it reaches the real adapter. */
  erase(crmIds: readonly string[], options?: CallOptions) {
    return this.real.erase(crmIds, options);
  }

  close(): Promise<void> {
    return this.real.close();
  }
}
