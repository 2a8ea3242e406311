import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedCrm } from '../../connectors/crm/embedded.js';
import { MongoCrm } from '../../connectors/crm/mongodb.js';
import type { CrmContactRecord, CrmPort } from '../../connectors/crm/port.js';

const contact = (n: number): CrmContactRecord => ({
  crmId: `CRM-${n}`,
  customerRef: `cus_c${n}`,
  accountManager: 'Pat Manager',
  firstName: `First${n}`,
  lastName: `Last${n}`,
  email: `c${n}@example.com`,
  phone: null,
  cases: [{ id: `case-${n}`, subject: 'Late delivery', status: 'open', openedAt: '2026-10-01T00:00:00.000Z' }],
});
const CONTACTS = [contact(1), contact(2), contact(3)];

interface Fixture {
  readonly port: CrmPort;
  close(): Promise<void>;
}

/** MongoDB runs when a server is given; this machine has none by default. */
const MONGODB_URL = process.env.C360_TEST_MONGODB_URL;
if (!MONGODB_URL) console.info('crm contract: the mongodb adapter is skipped; set C360_TEST_MONGODB_URL to a MongoDB server to run it');

const adapters: Array<[string, () => Promise<Fixture>]> = [
  ['embedded', async () => {
    const port = await EmbeddedCrm.open(undefined, CONTACTS);
    return { port, close: () => port.close() };
  }],
];
if (MONGODB_URL) {
  adapters.push(['mongodb', async () => {
    const database = `c360_contract_${Date.now()}`;
    const port = await MongoCrm.connect({ url: MONGODB_URL, database });
    const { MongoClient } = await import('mongodb');
    const client = await MongoClient.connect(MONGODB_URL);
    await client.db(database).collection('contacts').insertMany(CONTACTS.map(({ crmId, ...rest }) => ({ _id: crmId, ...rest })) as never[]);
    return {
      port,
      close: async () => {
        await client.db(database).dropDatabase();
        await client.close();
        await port.close();
      },
    };
  }]);
}

/** The CRM port's contract, run by every adapter. */
describe.each(adapters)('crm port contract: %s', (_name, open) => {
  let fixture: Fixture;
  beforeAll(async () => {
    fixture = await open();
  });
  afterAll(() => fixture?.close());

  it('answers contacts in the order asked, null where the CRM has none', async () => {
    expect(await fixture.port.getMany(['cus_c2', 'cus_nobody', 'cus_c1'])).toEqual([contact(2), null, contact(1)]);
  });

  it('erases the contacts of the given refs with their cases; a second erase finds nothing', async () => {
    expect(await fixture.port.erase(['cus_c3', 'cus_nobody'])).toBe('erased');
    expect(await fixture.port.getMany(['cus_c3', 'cus_c1'])).toEqual([null, contact(1)]);
    expect(await fixture.port.erase(['cus_c3'])).toBe('not_found');
  });
});
