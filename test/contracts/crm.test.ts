import { randomUUID } from 'node:crypto';
import { MongoClient } from 'mongodb';
import { describe } from 'vitest';
import { EmbeddedCrm } from '../../connectors/crm/embedded.js';
import { MongoCrm } from '../../connectors/crm/mongodb.js';
import type { CrmContactRecord } from '../../connectors/crm/port.js';
import { defineCrmContract } from './crm.contract.js';

defineCrmContract('embedded', async (fixture) => {
  const malformed = { customerRef: fixture.malformedRef, crmId: 42, cases: 'none' } as unknown as CrmContactRecord;
  const port = await EmbeddedCrm.open(undefined, [...fixture.contacts, malformed]);
  return { port, cleanup: () => port.close() };
});

const mongoUrl = process.env.C360_TEST_MONGODB_URL;
const skipReason =
  'C360_TEST_MONGODB_URL is not set, and no MongoDB server can be installed on this machine; ' +
  'set it (e.g. mongodb://127.0.0.1:27017) to run this suite against the MongoDB adapter';
if (!mongoUrl) console.warn(`[skipped] CRM port contract: mongodb — ${skipReason}.`);

describe.skipIf(!mongoUrl)(mongoUrl ? 'MongoDB adapter' : `MongoDB adapter (skipped: ${skipReason})`, () => {
  defineCrmContract('mongodb', async (fixture) => {
    const url = mongoUrl!;
    const database = `c360_contract_${randomUUID().slice(0, 8)}`;
    const client = await new MongoClient(url).connect();
    const contacts = client.db(database).collection('contacts');
    await contacts.insertMany([
      ...fixture.contacts.map(({ crmId, ...rest }) => ({ _id: crmId as unknown as never, ...rest })),
      { _id: 'CRM-BAD' as unknown as never, customerRef: fixture.malformedRef, cases: 'none' },
    ]);
    const port = await MongoCrm.connect({ url, database });
    return {
      port,
      cleanup: async () => {
        await port.close();
        await client.db(database).dropDatabase();
        await client.close();
      },
    };
  });
});
