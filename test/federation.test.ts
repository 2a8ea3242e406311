import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CrmContactRecord } from '../connectors/crm/port.js';
import type { LoyaltyAccountRecord } from '../connectors/loyalty/port.js';
import { TEST_PSEUDONYM_KEY, graphql, startTestGateway, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { LoyaltyTestServer } from './support/loyaltyServer.js';
import { ROOT } from './support/process.js';
import { byPath } from './support/privacy.js';
import { suggestionId } from '../src/identity/suggestions.js';
import { identify, identifyVerified, setConsent } from './support/writes.js';

/**
 * A CRM and a loyalty system that never heard of c360: the CRM holds contacts
 * under its own ids (the embedded store's file, as an export would fill it),
 * the loyalty service answers by its own member ids over HTTP. Their ids reach
 * the identity graph through `npm run identities:import` and `identify`, and
 * the gateway joins each customer's records by them (docs/integration.md).
 */
const CONTACTS: CrmContactRecord[] = [
  {
    crmId: 'C-9001',
    firstName: 'Ines',
    lastName: 'Imported',
    email: null,
    phone: '+12125550101',
    accountManager: 'Olu Owner',
    cases: [
      { id: 'T-1', subject: 'Wrong size', status: 'Open', closed: false, openedAt: '2026-10-01T00:00:00.000Z' },
      { id: 'T-2', subject: 'Invoice', status: 'closed', closed: true, openedAt: '2026-10-02T00:00:00.000Z' },
    ],
  },
  { crmId: 'C-9002', accountManager: 'Second Manager', cases: [] },
];
const MEMBERS: LoyaltyAccountRecord[] = [
  { memberId: 'M-77', tier: 'Gold', pointsBalance: 700, lifetimePoints: 7000, tierExpiresAt: null },
  { memberId: 'M-78', tier: 'Bronze', pointsBalance: 10, lifetimePoints: 10, tierExpiresAt: '2027-01-01T00:00:00.000Z' },
];

const QUERY = /* GraphQL */ `
  query Person($email: String!) {
    customerByIdentity(type: EMAIL, value: $email) {
      profile { firstName lastName phone }
      crm { crmId accountManager openCases { id subject status } }
      crmRecords { crmId accountManager }
      loyalty { memberId tier pointsBalance }
      loyaltyAccounts { memberId tier }
    }
  }
`;

const run = promisify(execFile);

let dataDir: string;
let loyalty: LoyaltyTestServer;
let gw: TestGateway;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'c360-federation-'));
  writeFileSync(join(dataDir, 'crm.json'), JSON.stringify(CONTACTS.map((contact) => [contact.crmId, contact])));
  loyalty = new LoyaltyTestServer(MEMBERS);
  gw = await startTestGateway({
    C360_DATA_DIR: dataDir,
    C360_LOYALTY_URL: await loyalty.start(),
    // Two CRM contacts and two memberships may end up on one customer after a merge.
    C360_IDENTITY_LIMITS: 'CRM_ID=2,LOYALTY_ID=2',
  });
});
afterAll(async () => {
  await gw?.close();
  await loyalty?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function person(email: string) {
  return withoutTraceId((await graphql(gw.url, QUERY, { variables: { email }, purpose: 'support' })).body);
}

async function importPairs(csv: string, ...args: string[]) {
  const file = join(dataDir, 'pairs.csv');
  writeFileSync(file, csv);
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/identities-import.ts', '--file', file, ...args], {
      cwd: ROOT,
      // The gateway's environment, as docs/integration.md says: its suppression list is kept under the key derived from this one.
      env: { ...process.env, C360_DATA_DIR: dataDir, C360_PSEUDONYM_KEY: TEST_PSEUDONYM_KEY },
      timeout: 60_000,
    });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

describe('sources joined by their own identifiers', () => {
  it('finds the CRM contact and the membership of ids imported from an export, asking each system by its own id', async () => {
    expect(await person('ines@example.com')).toEqual({ data: { customerByIdentity: null } });
    const imported = await importPairs('Email Address,Contact Id,Member No\nInes@Example.com,C-9001,M-77\nnot-an-email,C-9003,M-79\n', '--map', 'EMAIL=Email Address', '--map', 'CRM_ID=Contact Id', '--map', 'LOYALTY_ID=Member No', '--json');
    expect({ code: imported.code, report: JSON.parse(imported.stdout) as unknown }).toEqual({
      code: 65,
      report: {
        rows: 2,
        linked: 1,
        merged: 0,
        rejectedLinks: {},
        skipped: [],
        invalid: [{ line: 3, column: 'Email Address', reason: 'is not an email address for identity type EMAIL.' }],
        suppressed: [],
      },
    });

    loyalty.requests.length = 0;
    expect(await person('ines@example.com')).toEqual({
      data: {
        customerByIdentity: {
          // The single view has no name or phone for this customer: the CRM contact fills them.
          profile: { firstName: 'Ines', lastName: 'Imported', phone: '+12125550101' },
          crm: { crmId: 'C-9001', accountManager: 'Olu Owner', openCases: [{ id: 'T-1', subject: 'Wrong size', status: 'Open' }] },
          crmRecords: [{ crmId: 'C-9001', accountManager: 'Olu Owner' }],
          loyalty: { memberId: 'M-77', tier: 'Gold', pointsBalance: 700 },
          loyaltyAccounts: [{ memberId: 'M-77', tier: 'Gold' }],
        },
      },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    expect(loyalty.requests).toEqual([['M-77']]);
    // Importing again changes nothing.
    const again = await importPairs('Email Address,Contact Id,Member No\nines@example.com,C-9001,M-77\n', '--map', 'EMAIL=Email Address', '--map', 'CRM_ID=Contact Id', '--map', 'LOYALTY_ID=Member No');
    expect({ code: again.code, first: again.stdout.split('\n')[0] }).toEqual({ code: 0, first: '1 rows: 1 linked, 0 customers merged.' });
  });

  it('costs a source no call for a customer without its identifier', async () => {
    await identify(gw.url, [{ type: 'EMAIL', value: 'no.member@example.com' }]);
    loyalty.requests.length = 0;
    expect(await person('no.member@example.com')).toEqual({
      data: { customerByIdentity: { profile: { firstName: null, lastName: null, phone: null }, crm: null, crmRecords: [], loyalty: null, loyaltyAccounts: [] } },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
    expect(loyalty.requests).toEqual([]);
  });

  it('gives a merged customer each record, the identifier held longest first', async () => {
    // identify is the other way ids arrive: a CRM or loyalty app reporting who it knows.
    await identify(gw.url, [{ type: 'EMAIL', value: 'ines.work@example.com' }, { type: 'CRM_ID', value: 'C-9002' }, { type: 'LOYALTY_ID', value: 'M-78' }]);
    // Two known people merge only through identifiers verified on both sides (docs/identity-resolution.md).
    const merge = await identifyVerified(gw.url, [{ type: 'EMAIL', value: 'ines@example.com' }, { type: 'EMAIL', value: 'ines.work@example.com' }]);
    expect(merge.merged).toHaveLength(1);
    expect(await person('ines.work@example.com')).toEqual({
      data: {
        customerByIdentity: {
          profile: { firstName: 'Ines', lastName: 'Imported', phone: '+12125550101' },
          crm: { crmId: 'C-9001', accountManager: 'Olu Owner', openCases: [{ id: 'T-1', subject: 'Wrong size', status: 'Open' }] },
          crmRecords: [
            { crmId: 'C-9001', accountManager: 'Olu Owner' },
            { crmId: 'C-9002', accountManager: 'Second Manager' },
          ],
          loyalty: { memberId: 'M-77', tier: 'Gold', pointsBalance: 700 },
          loyaltyAccounts: [
            { memberId: 'M-77', tier: 'Gold' },
            { memberId: 'M-78', tier: 'Bronze' },
          ],
        },
      },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('decides crmRecords and loyaltyAccounts like crm and loyalty, and the fields of each record by their own class, and audits each release', async () => {
    const id = ((await graphql(gw.url, '{ customerByIdentity(type: EMAIL, value: "ines@example.com") { id } }')).body.data as { customerByIdentity: { id: string } }).customerByIdentity.id;
    const LISTS = 'query($id: ID!) { customer(id: $id) { crmRecords { crmId accountManager } loyaltyAccounts { memberId tier } } }';
    const ask = (apiKey: string, purpose: string) => graphql(gw.url, LISTS, { apiKey, purpose, variables: { id } });
    const withheld = (field: string, piiClass: string, reason: string, message: string) => ({
      error: { message, locations: expect.any(Array), path: ['customer', field], extensions: { code: 'PII_ACCESS_DENIED', reason, piiClass } },
      field: { path: `customer.${field}`, piiClass, decision: 'deny', reason },
    });
    const noConsent = withheld('crmRecords', 'BEHAVIORAL', 'CONSENT_NOT_GRANTED', 'Personal field withheld: the customer has not granted consent for MARKETING.');
    const noFinancial = withheld('loyaltyAccounts', 'FINANCIAL', 'POLICY_DENIES', 'Personal field withheld: the policy does not release FINANCIAL data for purpose MARKETING.');

    // No marketing consent: both lists are withheld whole (a consent-bound purpose gets nothing about the customer but the id);
    // memberships are FINANCIAL, which marketing is never given.
    const denied = await ask('c360_demo_marketing', 'marketing');
    expect(withoutTraceId({ ...denied.body, errors: byPath(denied.body.errors) })).toEqual({
      errors: byPath([noConsent.error, noFinancial.error]),
      data: { customer: { crmRecords: null, loyaltyAccounts: null } },
      extensions: { privacy: { purpose: 'MARKETING', fields: byPath([noConsent.field, noFinancial.field]) } },
    });

    // With consent, marketing gets each CRM record, its id hashed as the policy says; still no membership.
    await setConsent(gw.url, { customerId: id, purpose: 'MARKETING', status: 'GRANTED', source: 'test' });
    const hashed = expect.stringMatching(/^[0-9a-f]{64}$/);
    const crmIds = ['crmRecords.0.crmId', 'crmRecords.1.crmId'];
    const granted = await ask('c360_demo_marketing', 'marketing');
    expect(withoutTraceId(granted.body)).toEqual({
      errors: [noFinancial.error],
      data: {
        customer: {
          crmRecords: [
            { crmId: hashed, accountManager: 'Olu Owner' },
            { crmId: hashed, accountManager: 'Second Manager' },
          ],
          loyaltyAccounts: null,
        },
      },
      extensions: {
        privacy: {
          purpose: 'MARKETING',
          fields: byPath([...crmIds.map((path) => ({ path: `customer.${path}`, piiClass: 'IDENTIFIER', decision: 'hash', reason: 'POLICY_HASHES' })), noFinancial.field]),
        },
      },
    });

    // Analytics, with consent, is given memberships: each account's member id hashed, its tier (FINANCIAL) as it is.
    await setConsent(gw.url, { customerId: id, purpose: 'ANALYTICS', status: 'GRANTED', source: 'test' });
    const memberIds = ['loyaltyAccounts.0.memberId', 'loyaltyAccounts.1.memberId'];
    const analytics = await ask('c360_demo_analytics', 'analytics');
    expect(withoutTraceId(analytics.body)).toEqual({
      data: {
        customer: {
          crmRecords: [
            { crmId: hashed, accountManager: 'Olu Owner' },
            { crmId: hashed, accountManager: 'Second Manager' },
          ],
          loyaltyAccounts: [
            { memberId: hashed, tier: 'Gold' },
            { memberId: hashed, tier: 'Bronze' },
          ],
        },
      },
      extensions: {
        privacy: { purpose: 'ANALYTICS', fields: [...crmIds, ...memberIds].map((path) => ({ path: `customer.${path}`, piiClass: 'IDENTIFIER', decision: 'hash', reason: 'POLICY_HASHES' })) },
      },
    });
    expect(JSON.stringify([granted.body, analytics.body])).not.toMatch(/C-900[12]|M-7[78]/);

    // Every release is on the customer's audit trail: each list, and each record's fields, as released.
    const audit = await graphql<{ auditTrail: { edges: Array<{ node: { traceId: string; purpose: string; fields: Array<{ path: string; decision: string }> } }> } }>(
      gw.url,
      'query($id: ID!) { auditTrail(customerId: $id, first: 20) { edges { node { traceId purpose fields { path decision } } } } }',
      { apiKey: 'c360_demo_admin', variables: { id } },
    );
    const released = (traceId: unknown) => {
      const record = audit.body.data!.auditTrail.edges.map((edge) => edge.node).find((node) => node.traceId === traceId);
      return record && { ...record, fields: byPath(record.fields) };
    };
    const crmReleases = [
      { path: 'customer.crmRecords', decision: 'allow' },
      ...[0, 1].flatMap((i) => [
        { path: `customer.crmRecords.${i}.accountManager`, decision: 'allow' },
        { path: `customer.crmRecords.${i}.crmId`, decision: 'hash' },
      ]),
    ];
    expect(released(granted.body.extensions!.traceId)).toEqual({ traceId: granted.body.extensions!.traceId, purpose: 'MARKETING', fields: byPath(crmReleases) });
    expect(released(analytics.body.extensions!.traceId)).toEqual({
      traceId: analytics.body.extensions!.traceId,
      purpose: 'ANALYTICS',
      fields: byPath([
        ...crmReleases,
        { path: 'customer.loyaltyAccounts', decision: 'allow' },
        ...[0, 1].flatMap((i) => [
          { path: `customer.loyaltyAccounts.${i}.memberId`, decision: 'hash' },
          { path: `customer.loyaltyAccounts.${i}.tier`, decision: 'allow' },
        ]),
      ]),
    });
    // No purpose at all: nothing personal, not even the lists.
    const none = await graphql(gw.url, LISTS, { variables: { id } });
    expect(none.body.data).toEqual({ customer: { crmRecords: null, loyaltyAccounts: null } });
  });

  it('records imported identifiers as verified, so a row may join two known customers; with --unverified the join waits for a person', async () => {
    const a = (await identify(gw.url, [{ type: 'EMAIL', value: 'row.a@example.com' }])).customer.id;
    const b = (await identify(gw.url, [{ type: 'EMAIL', value: 'row.b@example.com' }, { type: 'LOYALTY_ID', value: 'M-81' }])).customer.id;
    const csv = 'EMAIL,LOYALTY_ID\nrow.a@example.com,M-81\n';
    const report = (merged: number, rejectedLinks: Record<string, number>) => ({ rows: 1, linked: 1, merged, rejectedLinks, skipped: [], invalid: [], suppressed: [] });

    const cautious = await importPairs(csv, '--unverified', '--json');
    expect({ code: cautious.code, report: JSON.parse(cautious.stdout) as unknown }).toEqual({ code: 0, report: report(0, { UNVERIFIED_MERGE: 1 }) });
    const pending = await graphql<{ mergeSuggestions: { edges: Array<{ node: { id: string; customerIds: string[] } }> } }>(
      gw.url,
      '{ mergeSuggestions(first: 50) { edges { node { id customerIds } } } }',
      { apiKey: 'c360_demo_admin' },
    );
    expect(pending.body.data!.mergeSuggestions.edges.map((edge) => edge.node)).toContainEqual({ id: suggestionId([a, b]), customerIds: [a, b].sort() });

    // By default the operator vouches for the export: the row joins the two.
    const trusted = await importPairs(csv, '--json');
    expect({ code: trusted.code, report: JSON.parse(trusted.stdout) as unknown }).toEqual({ code: 0, report: report(1, {}) });
    const joined = await graphql<{ customerByIdentity: { id: string; identities: Array<{ type: string; value: string; verified: boolean }> } }>(
      gw.url,
      '{ customerByIdentity(type: LOYALTY_ID, value: "M-81") { id identities { type value verified } } }',
      { purpose: 'support' },
    );
    const customer = joined.body.data!.customerByIdentity;
    expect([a, b]).toContain(customer.id);
    expect([...customer.identities].sort((x, y) => x.value.localeCompare(y.value))).toEqual([
      { type: 'LOYALTY_ID', value: 'M-81', verified: true },
      { type: 'EMAIL', value: 'row.a@example.com', verified: true },
      { type: 'EMAIL', value: 'row.b@example.com', verified: false },
    ]);
  });

  it.each([
    [['--map', 'EMAIL=Email'], 'Email,Contact\na@example.com,C-1\n', 'the file needs at least two identifier columns'],
    [[], 'Email,Contact\na@example.com,C-1\n', 'the file needs at least two identifier columns'],
    [['--map', 'PASSPORT=Contact', '--map', 'EMAIL=Email'], 'Email,Contact\n', '--map takes TYPE=column'],
    [['--map', 'EMAIL=Email', '--map', 'CRM_ID=Missing'], 'Email,Contact\n', '--map CRM_ID=Missing: the file has no column Missing'],
    [['--concurrency', '0'], 'EMAIL,CRM_ID\n', '--concurrency must be a whole number from 1 to 64'],
  ])('refuses the usage %j with exit code 64 and writes nothing', async (args, csv, message) => {
    const result = await importPairs(csv, ...args);
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 64, stdout: '' });
    expect(String((result as { stderr?: string }).stderr)).toContain(message);
  });
});
