import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import type { AuditPort } from '../../../connectors/singleview/port.js';
import type { AuditRecordModel } from '../../../src/domain/index.js';
import { at } from './fixture.js';
import { roleContract } from './harness.js';

export const auditContract = roleContract<AuditPort>({
  role: 'AuditPort',
  methods: { getAuditTrail: true, appendAudit: true, appendAudits: true, removeAudits: true },
  tests: (view) => {
    it('appends audit records and pages them newest first per customer, each customer\'s item naming only that customer', async () => {
      const { store } = view;
      const record = (n: number, customerIds: string[]): AuditRecordModel => ({
        id: `aud_${n}`,
        at: at(n),
        principal: 'key:test',
        purpose: 'SUPPORT',
        operation: 'FullCustomer',
        customerIds,
        fields: [{ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null }],
        traceId: 'abc',
      });
      await store.appendAudit(record(1, ['cus_1']));
      await store.appendAudit(record(2, ['cus_1', 'cus_2']));
      await store.appendAudit(record(3, ['cus_1']));
      const page = await store.getAuditTrail('cus_1', 2);
      expect(page).toEqual({ records: [record(3, ['cus_1']), record(2, ['cus_1'])], hasNextPage: true });
      expect(await store.getAuditTrail('cus_1', 2, { at: at(2), id: 'aud_2' })).toEqual({ records: [record(1, ['cus_1'])], hasNextPage: false });
      expect(await store.getAuditTrail('cus_2', 5)).toEqual({ records: [record(2, ['cus_2'])], hasNextPage: false });
    });

    it('hands a record\'s field decisions back sorted by path, list indices in numeric order, whatever order they were written in', async () => {
      const { store } = view;
      const field = (path: string, decision = 'allow', reason: string | null = null) => ({ path, piiClass: 'CONTACT', decision, reason });
      // The order the gateway records them in: parts as they resolve, values as the walk meets them.
      const written = [
        field('customer.profile.email'),
        field('customer.identities.10.value', 'hash', 'PURPOSE_REQUIRES_PSEUDONYM'),
        field('customer.identities.2.value', 'hash', 'PURPOSE_REQUIRES_PSEUDONYM'),
        field('customer.crm'),
        field('customer.identities.2.type'),
        field('customer.identities'),
      ];
      await store.appendAudit({ id: 'aud_order', at: at(4), principal: 'key:test', purpose: 'SUPPORT', operation: 'Order', customerIds: ['cus_order'], fields: written, traceId: null });
      const [stored] = (await store.getAuditTrail('cus_order', 1)).records;
      expect(stored!.fields).toEqual([
        field('customer.crm'),
        field('customer.identities'),
        field('customer.identities.2.type'),
        field('customer.identities.2.value', 'hash', 'PURPOSE_REQUIRES_PSEUDONYM'),
        field('customer.identities.10.value', 'hash', 'PURPOSE_REQUIRES_PSEUDONYM'),
        field('customer.profile.email'),
      ]);
    });

    it('replaces a record written again under the same time and id, and removes records by customer, time and id', async () => {
      const { store } = view;
      const record = (id: string, path: string, detail: Record<string, string> | null): AuditRecordModel => ({
        id,
        at: at(20),
        principal: 'key:test',
        purpose: 'SUPPORT',
        operation: 'query Intent',
        customerIds: ['cus_intent'],
        fields: [{ path, piiClass: 'CONTACT', decision: 'allow', reason: null }],
        traceId: 'intent',
        detail,
      });
      await store.appendAudits([record('aud_i1', 'customer.profile.#.email', { stage: 'intent' }), record('aud_i2', 'customer.profile.email', { stage: 'intent' })]);
      // The completion: the same item, now the exact record.
      await store.appendAudits([record('aud_i1', 'customer.profile.0.email', null)]);
      await store.removeAudits([{ customerId: 'cus_intent', at: at(20), id: 'aud_i2' }, { customerId: 'cus_intent', at: at(20), id: 'aud_absent' }]);
      expect(await store.getAuditTrail('cus_intent', 5)).toEqual({ records: [record('aud_i1', 'customer.profile.0.email', null)], hasNextPage: false });
    });

    it('keeps records written out of order (one millisecond\'s, in random id order; an older one late) in time and id order', async () => {
      const { store } = view;
      const record = (id: string, n: number): AuditRecordModel => ({
        id,
        at: at(n),
        principal: 'key:test',
        purpose: 'SUPPORT',
        operation: 'Order',
        customerIds: ['cus_sorted'],
        fields: [{ path: 'customer.profile.email', piiClass: 'CONTACT', decision: 'allow', reason: null }],
        traceId: null,
      });
      // Twenty records of one millisecond in an order their ids do not sort in, then one of an earlier time, and one written again.
      const ids = Array.from({ length: 20 }, (_, i) => `aud_${String((i * 7) % 20).padStart(2, '0')}`);
      for (const id of ids) await store.appendAudit(record(id, 31));
      await store.appendAudit(record('aud_early', 30));
      await store.appendAudit(record('aud_03', 31));
      const page = await store.getAuditTrail('cus_sorted', 30);
      expect(page.records.map((r) => `${r.at}#${r.id}`)).toEqual([...[...ids].sort().reverse().map((id) => `${at(31)}#${id}`), `${at(30)}#aud_early`]);
    });

    it('fails an audit record over the item size limit on its own and writes the others (batch contract)', async () => {
      const { store } = view;
      // Random text: the stored form is compressed, so repeated characters would fit.
      const record = (id: string, customerId: string, pathLength: number): AuditRecordModel => ({
        id,
        at: at(9),
        principal: 'key:test',
        purpose: 'SUPPORT',
        operation: 'Big',
        customerIds: [customerId],
        fields: [{ path: randomBytes(pathLength).toString('base64'), piiClass: 'CONTACT', decision: 'allow', reason: null }],
        traceId: 'big',
      });
      const results = await store.appendAudits([record('ok_1', 'cus_big_1', 10), record('huge', 'cus_big_2', 450 * 1024), record('ok_2', 'cus_big_3', 10)]);
      expect(results.map((result) => (result instanceof Error ? result.message : result))).toEqual([
        undefined,
        'singleview source rejected the request: an audit item is over the 400 KB item limit',
        undefined,
      ]);
      expect((await store.getAuditTrail('cus_big_1', 5)).records.map((r) => r.id)).toEqual(['ok_1']);
      expect((await store.getAuditTrail('cus_big_2', 5)).records).toEqual([]);
      expect((await store.getAuditTrail('cus_big_3', 5)).records.map((r) => r.id)).toEqual(['ok_2']);
    });
  },
});
