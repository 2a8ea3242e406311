import type { EventQuery } from '../../src/domain/index.js';
import { DEMO_CUSTOMERS } from '../../src/embedded/demoData.js';
import type { DemoData } from '../../src/embedded/demoData.js';

/** The four scenarios of bench/README.md, plus the Apollo tuning comparison. */
export const SCENARIO_NAMES = ['call-centre', 'me', 'partner-batch', 'track', 'apollo-tuning'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** What is measured against each scenario; "gateway" is c360 as shipped (embedded default, graphql-jit). */
export type Variant =
  | 'gateway'
  | 'naive'
  | 'direct'
  | 'bare-apollo'
  | 'bare-route'
  | 'gateway-single-id'
  | 'gateway-memory-jit'
  | 'gateway-memory-stock'
  | 'gateway-privacy-off'
  | 'gateway-memory-single-id'
  | 'gateway-floor'
  | 'gateway-memory-floor'
  | 'bare-apollo-floor'
  | 'bare-apollo-single-id'
  | 'raw-writes'
  | 'track-writes'
  | 'bare-apollo-no-cache-control'
  | 'bare-apollo-jit';

export const VARIANT_LABELS: Record<Variant, string> = {
  gateway: 'c360 gateway',
  naive: 'naive (no batching, sources in turn)',
  direct: 'sources called directly',
  'bare-apollo': 'bare Apollo Server (stock), from memory',
  'bare-route': 'bare Fastify route, same bytes',
  'gateway-single-id': 'c360, same selection, one id',
  'gateway-memory-jit': 'c360, sources from memory, graphql-jit',
  'gateway-memory-stock': 'c360, sources from memory, graphql-js',
  'gateway-privacy-off': 'c360, sources from memory, privacy enforcement and audit off',
  'gateway-memory-single-id': 'c360, sources from memory, same selection, one id',
  'gateway-floor': 'c360, no-op `{ __typename }`, same key',
  'gateway-memory-floor': 'c360, sources from memory, no-op `{ __typename }`, same key',
  'bare-apollo-floor': 'bare Apollo Server (stock), `{ __typename }`',
  'bare-apollo-single-id': 'bare Apollo Server (stock), same selection, one id',
  'raw-writes': 'raw PutItem to dynalite',
  'track-writes': "a `track`'s DynamoDB writes alone, no gateway",
  'bare-apollo-no-cache-control': 'bare Apollo, cache control off',
  'bare-apollo-jit': 'bare Apollo, cache control off + graphql-jit',
};

/** A GraphQL request as a client sends it. */
export interface GraphQLRequest {
  readonly operationName: string;
  readonly query: string;
  /** One variables object, or several taken in turn (`[<id>]` in a string becomes a unique id). */
  readonly variables: Record<string, unknown> | ReadonlyArray<Record<string, unknown>>;
  readonly headers: Record<string, string>;
  /** The same reads, for the direct-sources baseline. */
  readonly direct?: { readonly ids: readonly string[]; readonly events?: EventQuery };
}

const CUSTOMER_FIELDS = /* GraphQL */ `
      id
      createdAt
      updatedAt
      profile { firstName lastName email phone birthDate address { line1 city postalCode country } }
      identities { type value source firstSeenAt lastSeenAt }
      consents { purpose status channel updatedAt source }
      segments { segment { id name description realtime } since }
      loyalty { memberId tier pointsBalance lifetimePoints tierExpiresAt }
      crm { crmId accountManager openCases { id subject status openedAt } }
      traits { lifetimeValue orderCount firstSeenAt lastSeenAt }
      events(first: 5) { edges { cursor node { id type occurredAt channel source properties } } pageInfo { hasNextPage endCursor } }
`;

const FIVE_EVENTS: EventQuery = { first: 5 };

/** An agent's screen: the whole customer, purpose support (demo support key). */
export function callCentreRequest(): GraphQLRequest {
  return {
    operationName: 'CallCentreCustomer',
    query: `query CallCentreCustomer($id: ID!) {\n    customer(id: $id) {${CUSTOMER_FIELDS}    }\n  }`,
    variables: { id: DEMO_CUSTOMERS.consent.id },
    headers: { 'x-api-key': 'c360_demo_support', 'x-c360-purpose': 'support' },
    direct: { ids: [DEMO_CUSTOMERS.consent.id], events: FIVE_EVENTS },
  };
}

/** The web app's "my account" page: the signed-in customer's own record (customer token, purpose self_service). */
export function meRequest(token: string): GraphQLRequest {
  return {
    operationName: 'MyAccount',
    query: /* GraphQL */ `query MyAccount {
    me {
      id
      profile { firstName lastName email phone birthDate address { line1 city postalCode country } }
      consents { purpose status channel updatedAt source }
      segments { segment { id name } since }
      loyalty { memberId tier pointsBalance lifetimePoints tierExpiresAt }
      events(first: 5) { edges { cursor node { id type occurredAt channel } } pageInfo { hasNextPage endCursor } }
    }
  }`,
    variables: {},
    headers: { authorization: `Bearer ${token}`, 'x-c360-purpose': 'self_service' },
    direct: { ids: [DEMO_CUSTOMERS.consent.id], events: FIVE_EVENTS },
  };
}

const PARTNER_FIELDS = /* GraphQL */ `
      id
      profile { firstName lastName email phone birthDate address { city postalCode country } }
      identities { type value }
      consents { purpose status updatedAt }
      segments { segment { id name } since }
      loyalty { tier pointsBalance }
      traits { orderCount lastSeenAt }
`;

/** The first 100 generated customers: a partner's batch, purpose marketing (demo marketing key). */
export const PARTNER_IDS = Array.from({ length: 100 }, (_, i) => `cus_${String(i + 1).padStart(6, '0')}`);

export function partnerBatchRequest(): GraphQLRequest {
  return {
    operationName: 'PartnerBatch',
    query: `query PartnerBatch($ids: [ID!]!) {\n    customers(ids: $ids) {${PARTNER_FIELDS}    }\n  }`,
    variables: { ids: PARTNER_IDS },
    headers: { 'x-api-key': 'c360_demo_marketing', 'x-c360-purpose': 'marketing' },
    direct: { ids: PARTNER_IDS },
  };
}

/** The same selection for one id: what `customers(ids:)` with 100 ids is compared with (issue 3). */
export function partnerSingleRequest(): GraphQLRequest {
  return {
    operationName: 'PartnerSingle',
    query: `query PartnerSingle($ids: [ID!]!) {\n    customers(ids: $ids) {${PARTNER_FIELDS}    }\n  }`,
    variables: { ids: PARTNER_IDS.slice(0, 1) },
    headers: { 'x-api-key': 'c360_demo_marketing', 'x-c360-purpose': 'marketing' },
    direct: { ids: PARTNER_IDS.slice(0, 1) },
  };
}

/** The customers `track` sends events for, in turn: 200 demo customers after the two the read scenarios use. */
export const TRACK_CUSTOMERS = (demo: DemoData): DemoData['customers'] => demo.customers.slice(2, 202);

/** Event ingestion (issue 5's `track`): known customers by email in turn, each event with its own idempotency key. */
export function trackRequest(demo: DemoData): GraphQLRequest {
  const emails = TRACK_CUSTOMERS(demo).map((customer) => customer.profile.email!);
  return {
    operationName: 'Track',
    query: 'mutation Track($input: TrackInput!) { track(input: $input) { eventId customerId duplicate } }',
    variables: emails.map((email) => ({
      input: {
        identity: { type: 'EMAIL', value: email },
        type: 'Product Viewed',
        channel: 'web',
        properties: { sku: 'SKU-1042', price: 24.9, currency: 'EUR' },
        idempotencyKey: 'bench-[<id>]',
      },
    })),
    headers: { 'x-api-key': 'c360_demo_ingest' },
  };
}

/** A raw single-item PutItem of an event-sized item, in DynamoDB's JSON protocol (dynalite checks the header's shape, not the signature). */
export function rawWriteBodies(table: string, demo: DemoData): string[] {
  return TRACK_CUSTOMERS(demo).map((customer) =>
    JSON.stringify({
      TableName: table,
      Item: {
        customerId: { S: customer.id },
        sk: { S: '2026-11-23T10:00:00.000Z#evt_[<id>]' },
        id: { S: 'evt_[<id>]' },
        type: { S: 'Product Viewed' },
        occurredAt: { S: '2026-11-23T10:00:00.000Z' },
        receivedAt: { S: '2026-11-23T10:00:00.000Z' },
        channel: { S: 'web' },
        source: { S: 'bench' },
        properties: { M: { sku: { S: 'SKU-1042' }, price: { N: '24.9' }, currency: { S: 'EUR' } } },
      },
    }),
  );
}

export const RAW_WRITE_HEADERS = {
  'content-type': 'application/x-amz-json-1.0',
  'x-amz-target': 'DynamoDB_20120810.PutItem',
  'x-amz-date': '20261123T100000Z',
  authorization:
    'AWS4-HMAC-SHA256 Credential=c360-local/20261123/us-east-1/dynamodb/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0000000000000000000000000000000000000000000000000000000000000000',
};

/** The HTTP body of a GraphQL request, or one per variables object. */
export function graphqlBodies(request: GraphQLRequest): string[] {
  const all = Array.isArray(request.variables) ? request.variables : [request.variables];
  return all.map((variables) => JSON.stringify({ operationName: request.operationName, query: request.query, variables }));
}
