import { describe, expect, it } from 'vitest';
import { MemorySingleView } from '../../connectors/singleview/memory.js';
import type { AuditRecordModel } from '../domain/index.js';
import { AuditLog } from './index.js';
import { AuditCompletions } from './readAudit.js';
import { AuditWriter } from './writer.js';

const actor = { principal: 'key:test', purpose: 'SUPPORT' as const, traceId: null, operation: 'query Card' };
const intent = { fields: [{ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null }], covers: () => true };
const record = (id: string): AuditRecordModel => ({ id, at: '2026-12-03T00:00:00.000Z', principal: 'key:test', purpose: 'SUPPORT', operation: 'x', customerIds: ['cus_1'], fields: [], traceId: null });

describe('a read\'s intent record, by the audit writer\'s state', () => {
  it('is begun while the writer is idle, and not while a write is in flight or waiting: the read then writes its one exact record', async () => {
    const store = new MemorySingleView();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    // The real memory store, its writes held until the test lets them go.
    const slow = { appendAudits: async (records: readonly AuditRecordModel[]) => (await held, store.appendAudits(records)) };
    const writer = new AuditWriter(slow);
    const log = new AuditLog(writer, () => new Date('2026-12-03T00:00:00.000Z'), new AuditCompletions(new AuditWriter(store), store, () => {}));

    expect(writer.idle).toBe(true);
    expect(log.beginRead(actor, intent)).toBeDefined();

    const first = writer.write([record('aud_1')]);
    const second = writer.write([record('aud_2')]);
    expect(writer.idle).toBe(false);
    expect(log.beginRead(actor, intent)).toBeUndefined();

    release();
    await Promise.all([first, second]);
    expect(writer.idle).toBe(true);
    expect(log.beginRead(actor, intent)).toBeDefined();
    expect((await store.getAuditTrail('cus_1', 5)).records.map((r) => r.id).sort()).toEqual(['aud_1', 'aud_2']);
  });
});

describe('the completion lane\'s linger', () => {
  /** The real memory store, counting its calls. */
  const counting = () => {
    const store = new MemorySingleView();
    const calls: string[][] = [];
    return { store, calls, sink: { appendAudits: (records: readonly AuditRecordModel[]) => (calls.push(records.map((r) => r.id)), store.appendAudits(records)) } };
  };
  const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('lets records handed over apart share one write, and flush sends what waits at once', async () => {
    const { store, calls, sink } = counting();
    const writer = new AuditWriter(sink, { lingerMs: 60 });
    const written = [writer.write([record('aud_1')])];
    await tick(5);
    written.push(writer.write([record('aud_2')]));
    await tick(5);
    written.push(writer.write([record('aud_3')]));
    expect(calls).toEqual([]);
    await Promise.all(written);
    expect(calls).toEqual([['aud_1', 'aud_2', 'aud_3']]);

    // A long linger: flush (shutdown) does not wait it out.
    const patient = new AuditWriter(sink, { lingerMs: 60_000 });
    const pending = patient.write([record('aud_4')]);
    await patient.flush();
    await pending;
    expect(calls.at(-1)).toEqual(['aud_4']);
    expect((await store.getAuditTrail('cus_1', 10)).records.map((r) => r.id).sort()).toEqual(['aud_1', 'aud_2', 'aud_3', 'aud_4']);
  });

  it('writes at once when the waiting records fill a write, and never lingers without the option', async () => {
    const { calls, sink } = counting();
    const writer = new AuditWriter(sink, { lingerMs: 60_000 });
    const ids = Array.from({ length: 25 }, (_, i) => `aud_f${i}`);
    await Promise.all(ids.map((id) => writer.write([record(id)])));
    expect(calls).toEqual([ids]);

    const plain = new AuditWriter(sink);
    await plain.write([record('aud_p')]);
    expect(calls.at(-1)).toEqual(['aud_p']);
  });
});
