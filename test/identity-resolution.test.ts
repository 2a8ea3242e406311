import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestGateway, TestClock, withoutTraceId, SUPPORT_RELEASE } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { identify, identifyVerified, setConsent, track } from './support/writes.js';

const clock = new TestClock('2026-11-10T09:00:00.000Z');
let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ C360_SINGLEVIEW_TIMEOUT_MS: '5000' }, { clock: clock.now });
});
afterAll(() => gw?.close());

const BY_IDENTITY = /* GraphQL */ `
  query ByIdentity($type: IdentityType!, $value: String!) {
    customerByIdentity(type: $type, value: $value) {
      id
      identities { type value }
      events(first: 20) { edges { node { type occurredAt channel } } }
    }
  }
`;

describe('the acceptance story: two devices, three days, one customer', () => {
  it('ends with one customer holding both anonymous ids and every event in time order', async () => {
    clock.set('2026-11-10T10:00:00.000Z');
    const viewed = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: '1234' }, type: 'Product Viewed', channel: 'web' });
    clock.set('2026-11-10T10:05:00.000Z');
    const added = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: '1234' }, type: 'Product Added', channel: 'web' });
    expect(added).toEqual({ eventId: expect.any(String), customerId: viewed.customerId, duplicate: false });

    clock.set('2026-11-11T12:00:00.000Z');
    const dayTwo = await identify(gw.url, [
      { type: 'ANONYMOUS_ID', value: '1234' },
      { type: 'EMAIL', value: 'user@email.com' },
    ]);
    expect(dayTwo).toEqual({ customer: { id: viewed.customerId }, merged: [], rejectedLinks: [] });

    clock.set('2026-11-12T08:00:00.000Z');
    const deviceB = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: '5678' }, type: 'Page Viewed', channel: 'ios' });
    expect(deviceB.customerId).not.toBe(viewed.customerId);
    clock.set('2026-11-12T08:03:00.000Z');
    const signIn = await identify(gw.url, [
      { type: 'ANONYMOUS_ID', value: '5678' },
      { type: 'EMAIL', value: 'user@email.com' },
    ]);
    expect(signIn).toEqual({ customer: { id: viewed.customerId }, merged: [deviceB.customerId], rejectedLinks: [] });

    const response = await graphql(gw.url, BY_IDENTITY, { variables: { type: 'EMAIL', value: 'User@Email.com' }, purpose: 'support' });
    expect(withoutTraceId(response.body)).toEqual({
      data: {
        customerByIdentity: {
          id: viewed.customerId,
          identities: [
            { type: 'ANONYMOUS_ID', value: '1234' },
            { type: 'EMAIL', value: 'user@email.com' },
            { type: 'ANONYMOUS_ID', value: '5678' },
          ],
          events: {
            edges: [
              { node: { type: 'Product Viewed', occurredAt: '2026-11-10T10:00:00.000Z', channel: 'web' } },
              { node: { type: 'Product Added', occurredAt: '2026-11-10T10:05:00.000Z', channel: 'web' } },
              { node: { type: 'Page Viewed', occurredAt: '2026-11-12T08:00:00.000Z', channel: 'ios' } },
            ],
          },
        },
      },
      extensions: SUPPORT_RELEASE,
    });

    // The absorbed id reads as the survivor; the device B identifier resolves to it too.
    const absorbed = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id } }', { variables: { id: deviceB.customerId } });
    expect(withoutTraceId(absorbed.body)).toEqual({ data: { customer: { id: viewed.customerId } } });
    const deviceBLookup = await graphql(gw.url, 'query { customerByIdentity(type: ANONYMOUS_ID, value: "5678") { id } }');
    expect(withoutTraceId(deviceBLookup.body)).toEqual({ data: { customerByIdentity: { id: viewed.customerId } } });
  });
});

const CONSENTS = /* GraphQL */ `
  query Consents($id: ID!) {
    customer(id: $id) {
      id
      consents { purpose status source updatedAt }
      marketing: consentHistory(purpose: MARKETING) { purpose status source at note }
    }
  }
`;

describe('merges', () => {
  it('keeps the most recent consent decision per purpose and records the merge in the consent history', async () => {
    clock.set('2026-11-13T09:00:00.000Z');
    const known = await identify(gw.url, [{ type: 'EMAIL', value: 'consent.merge@example.com' }]);
    await setConsent(gw.url, { customerId: known.customer.id, purpose: 'MARKETING', status: 'DENIED', source: 'preference-centre' });
    await setConsent(gw.url, { customerId: known.customer.id, purpose: 'PERSONALIZATION', status: 'GRANTED', source: 'preference-centre' });

    clock.set('2026-11-13T10:00:00.000Z');
    const visitor = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'anon-consent-merge' }, type: 'Page Viewed' });
    await setConsent(gw.url, { customerId: visitor.customerId, purpose: 'MARKETING', status: 'GRANTED', source: 'cookie-banner' });

    clock.set('2026-11-13T11:00:00.000Z');
    const merge = await identify(gw.url, [
      { type: 'ANONYMOUS_ID', value: 'anon-consent-merge' },
      { type: 'EMAIL', value: 'consent.merge@example.com' },
    ]);
    expect(merge).toEqual({ customer: { id: known.customer.id }, merged: [visitor.customerId], rejectedLinks: [] });

    const response = await graphql(gw.url, CONSENTS, { variables: { id: visitor.customerId }, purpose: 'support' });
    expect(withoutTraceId(response.body)).toEqual({
      data: {
        customer: {
          id: known.customer.id,
          consents: [
            { purpose: 'MARKETING', status: 'GRANTED', source: 'cookie-banner', updatedAt: '2026-11-13T10:00:00.000Z' },
            { purpose: 'PERSONALIZATION', status: 'GRANTED', source: 'preference-centre', updatedAt: '2026-11-13T09:00:00.000Z' },
          ],
          marketing: [
            { purpose: 'MARKETING', status: 'GRANTED', source: 'cookie-banner', at: '2026-11-13T10:00:00.000Z', note: 'merged from another customer' },
            { purpose: 'MARKETING', status: 'DENIED', source: 'preference-centre', at: '2026-11-13T09:00:00.000Z', note: null },
          ],
        },
      },
      extensions: { privacy: { purpose: 'SUPPORT', fields: [] } },
    });
  });

  it('refuses a merge that would give one customer two USER_IDs, and reports it', async () => {
    const first = await identify(gw.url, [
      { type: 'USER_ID', value: 'limit-user-1' },
      { type: 'EMAIL', value: 'limit.one@example.com' },
    ]);
    const second = await identify(gw.url, [
      { type: 'USER_ID', value: 'limit-user-2' },
      { type: 'EMAIL', value: 'limit.two@example.com' },
    ]);
    const refused = await identify(gw.url, [
      { type: 'EMAIL', value: 'limit.one@example.com' },
      { type: 'USER_ID', value: 'limit-user-2' },
    ]);
    expect(refused).toEqual({
      customer: { id: second.customer.id },
      merged: [],
      rejectedLinks: [{ index: 0, type: 'EMAIL', reason: 'MERGE_EXCEEDS_LIMIT', limitType: 'USER_ID', limit: 1, heldBy: first.customer.id }],
    });
    const stillApart = await graphql(gw.url, 'query { a: customerByIdentity(type: EMAIL, value: "limit.one@example.com") { id } b: customer(id: "' + first.customer.id + '") { id } }');
    expect(withoutTraceId(stillApart.body)).toEqual({ data: { a: { id: first.customer.id }, b: { id: first.customer.id } } });
  });

  it('refuses to link an identifier past its per-type limit, without dropping it silently', async () => {
    const holder = await identify(gw.url, [{ type: 'USER_ID', value: 'limit-user-3' }]);
    const linked = await identify(gw.url, [
      { type: 'USER_ID', value: 'limit-user-3' },
      { type: 'USER_ID', value: 'limit-user-4' },
      { type: 'DEVICE_ID', value: 'limit-device-1' },
    ]);
    expect(linked).toEqual({
      customer: { id: holder.customer.id },
      merged: [],
      rejectedLinks: [{ index: 1, type: 'USER_ID', reason: 'LIMIT_EXCEEDED', limitType: 'USER_ID', limit: 1, heldBy: null }],
    });
    const lookups = await graphql(
      gw.url,
      'query { refused: customerByIdentity(type: USER_ID, value: "limit-user-4") { id } device: customerByIdentity(type: DEVICE_ID, value: "limit-device-1") { id } }',
    );
    expect(withoutTraceId(lookups.body)).toEqual({ data: { refused: null, device: { id: holder.customer.id } } });
  });

  it('merges into the holder of the strongest identifier, whatever order the call lists them in', async () => {
    const anonymous = await track(gw.url, { identity: { type: 'ANONYMOUS_ID', value: 'order-anon' }, type: 'Page Viewed' });
    const phone = await identify(gw.url, [{ type: 'PHONE', value: '+1 415 555 0199' }]);
    const user = await identify(gw.url, [{ type: 'USER_ID', value: 'order-user' }]);
    // Two known people (a phone, a login): they merge only through identifiers verified on both sides.
    const merge = await identifyVerified(gw.url, [
      { type: 'ANONYMOUS_ID', value: 'order-anon' },
      { type: 'PHONE', value: '(415) 555-0199' },
      { type: 'USER_ID', value: 'order-user' },
    ]);
    expect(merge.customer.id).toBe(user.customer.id);
    expect([...merge.merged].sort()).toEqual([anonymous.customerId, phone.customer.id].sort());
  });
});

describe('identify traits and normalization', () => {
  it('stores identifiers and profile fields normalized, and finds them written another way', async () => {
    const created = await identify(
      gw.url,
      [
        { type: 'EMAIL', value: '  Norm.Alice@Example.COM ' },
        { type: 'PHONE', value: '(212) 555-0142' },
        { type: 'DEVICE_ID', value: '  dev-norm-1 ' },
      ],
      { firstName: 'Alice', email: ' Alice.Profile@Example.com', phone: '212 555 0143', birthDate: '1990-04-01' },
    );
    const response = await graphql(
      gw.url,
      `query($v: String!) { customerByIdentity(type: PHONE, value: $v) { id identities { type value } profile { firstName lastName email phone birthDate } } }`,
      { variables: { v: '+12125550142' }, purpose: 'support' },
    );
    expect(withoutTraceId(response.body)).toEqual({
      data: {
        customerByIdentity: {
          id: created.customer.id,
          identities: [
            { type: 'EMAIL', value: 'norm.alice@example.com' },
            { type: 'PHONE', value: '+12125550142' },
            { type: 'DEVICE_ID', value: 'dev-norm-1' },
          ],
          profile: { firstName: 'Alice', lastName: null, email: 'alice.profile@example.com', phone: '+12125550143', birthDate: '1990-04-01' },
        },
      },
      extensions: SUPPORT_RELEASE,
    });
  });
});

describe('bad input is BAD_USER_INPUT naming the field, and never quotes the value', () => {
  const identifyWith = (identities: unknown, traits?: unknown) => ({ query: 'mutation($i: IdentifyInput!) { identify(input: $i) { merged } }', variables: { i: { identities, traits } } });
  const trackWith = (input: Record<string, unknown>) => ({
    query: 'mutation($i: TrackInput!) { track(input: $i) { eventId } }',
    variables: { i: { identity: { type: 'ANONYMOUS_ID', value: 'bad-input-anon' }, type: 'Page Viewed', ...input } },
  });
  const consentWith = (input: Record<string, unknown>) => ({
    query: 'mutation($i: SetConsentInput!) { setConsent(input: $i) { status } }',
    variables: { i: { customerId: 'cus_demo_customer', purpose: 'MARKETING', status: 'GRANTED', source: 'test', ...input } },
  });
  const rows: Array<[string, { query: string; variables: Record<string, unknown> }, string, string, string]> = [
    ['an email that is not one', identifyWith([{ type: 'EMAIL', value: 'secret-not-an-email' }]), 'identify', 'input.identities[0].value', 'is not an email address'],
    ['a phone that is not one', identifyWith([{ type: 'EMAIL', value: 'ok@example.com' }, { type: 'PHONE', value: 'secret-12' }]), 'identify', 'input.identities[1].value', 'is not a valid phone number'],
    ['a blank identifier', identifyWith([{ type: 'USER_ID', value: '   ' }]), 'identify', 'input.identities[0].value', 'is empty'],
    ['no identifiers', identifyWith([]), 'identify', 'input.identities', 'must hold 1 to 20'],
    ['too many identifiers', identifyWith(Array.from({ length: 21 }, (_, i) => ({ type: 'DEVICE_ID', value: `d${i}` }))), 'identify', 'input.identities', 'must hold 1 to 20'],
    ['a profile email that is not one', identifyWith([{ type: 'USER_ID', value: 'u-bad-trait' }], { email: 'secret-at-nowhere' }), 'identify', 'input.traits.email', 'is not an email address'],
    ['a birth date in the future', identifyWith([{ type: 'USER_ID', value: 'u-bad-trait' }], { birthDate: '2999-01-01' }), 'identify', 'input.traits.birthDate', 'between 1900 and today'],
    ['a track identifier that is not one', trackWith({ identity: { type: 'PHONE', value: 'secret-phone' } }), 'track', 'input.identity.value', 'is not a valid phone number'],
    ['an empty event type', trackWith({ type: '  ' }), 'track', 'input.type', '1–128 characters'],
    ['an event from the future', trackWith({ occurredAt: '2030-01-01T00:00:00Z' }), 'track', 'input.occurredAt', 'in the future'],
    ['properties that are not an object', trackWith({ properties: ['secret'] }), 'track', 'input.properties', 'must be a JSON object'],
    ['properties too large', trackWith({ properties: { blob: 'x'.repeat(17_000) } }), 'track', 'input.properties', 'larger than 16 KB'],
    ['an idempotency key too long', trackWith({ idempotencyKey: 'k'.repeat(129) }), 'track', 'input.idempotencyKey', '1–128 characters'],
    ['a malformed customer id', consentWith({ customerId: 'not an id!' }), 'setConsent', 'input.customerId', 'is not a customer id'],
    ['an unknown customer id', consentWith({ customerId: 'cus_nobody_here' }), 'setConsent', 'input.customerId', 'matches no customer'],
    ['an empty consent source', consentWith({ source: '' }), 'setConsent', 'input.source', '1–64 characters'],
    ['a malformed id to forget', { query: 'mutation { forgetCustomer(id: "bad id!") { customerId } }', variables: {} }, 'forgetCustomer', 'id', 'is not a customer id'],
  ];

  it.each(rows)('%s', async (_name, request, field, expectedField, fragment) => {
    clock.set('2026-11-14T09:00:00.000Z');
    const response = await graphql(gw.url, request.query, { variables: request.variables, apiKey: 'c360_demo_admin' });
    expect(response.status).toBe(200);
    expect(withoutTraceId(response.body)).toEqual({
      data: null,
      errors: [
        {
          message: expect.stringContaining(fragment),
          locations: expect.any(Array),
          path: [field],
          extensions: { code: 'BAD_USER_INPUT', field: expectedField },
        },
      ],
    });
    expect(response.body.errors![0]!.message).not.toContain('secret');
  });
});
