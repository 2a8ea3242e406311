import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedCrm } from '../crm/embedded.js';
import { EmbeddedLoyalty } from '../loyalty/embedded.js';

/**
 * Data dirs written before the embedded CRM and loyalty stores were keyed by
 * the sources' own ids held their records under c360's customer ids. Opening
 * one re-keys it, so an existing embedded data dir keeps answering.
 */
describe('an embedded store file from before the stores were keyed by their own ids', () => {
  const dir = mkdtempSync(join(tmpdir(), 'c360-rekey-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is re-keyed by CRM id and member id on open, and written back', async () => {
    const contact = { crmId: 'CRM-100000', customerRef: 'cus_demo_customer', accountManager: 'M', cases: [{ id: 'c', subject: 's', status: 'closed', openedAt: '2026-10-01T00:00:00.000Z' }] };
    const member = { memberId: 'LM10000000', customerRef: 'cus_demo_customer', tier: 'Gold', pointsBalance: 1, lifetimePoints: 2, tierExpiresAt: null };
    writeFileSync(join(dir, 'crm.json'), JSON.stringify([['cus_demo_customer', contact]]));
    writeFileSync(join(dir, 'loyalty.json'), JSON.stringify([['cus_demo_customer', member]]));

    const crm = await EmbeddedCrm.open(join(dir, 'crm.json'), []);
    const loyalty = await EmbeddedLoyalty.open(join(dir, 'loyalty.json'), []);
    expect(await crm.getMany(['CRM-100000', 'cus_demo_customer'])).toEqual([
      { crmId: 'CRM-100000', accountManager: 'M', cases: [{ id: 'c', subject: 's', status: 'closed', closed: true, openedAt: '2026-10-01T00:00:00.000Z' }] },
      null,
    ]);
    expect(await loyalty.getMany(['LM10000000'])).toEqual([{ memberId: 'LM10000000', tier: 'Gold', pointsBalance: 1, lifetimePoints: 2, tierExpiresAt: null }]);
    await crm.close();
    await loyalty.close();
    expect((JSON.parse(readFileSync(join(dir, 'crm.json'), 'utf8')) as Array<[string]>).map(([key]) => key)).toEqual(['CRM-100000']);
    expect((JSON.parse(readFileSync(join(dir, 'loyalty.json'), 'utf8')) as Array<[string]>).map(([key]) => key)).toEqual(['LM10000000']);
  });
});
