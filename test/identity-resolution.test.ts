import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql, startTestGateway, TestClock, withoutTraceId } from './support/gateway.js';
import type { TestGateway } from './support/gateway.js';
import { identify, setConsent, track } from './support/writes.js';

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
    });

    // The absorbed id reads as the survivor; the device B identifier resolves to it too.
    const absorbed = await graphql(gw.url, 'query($id: ID!) { customer(id: $id) { id } }', { variables: { id: deviceB.customerId } });
    expect(withoutTraceId(absorbed.body)).toEqual({ data: { customer: { id: viewed.customerId } } });
    const deviceBLookup = await graphql(gw.url, 'query { customerByIdentity(type: ANONYMOUS_ID, value: "5678") { id } }');
    expect(withoutTraceId(deviceBLookup.body)).toEqual({ data: { customerByIdentity: { id: viewed.customerId } } });
  });
});
