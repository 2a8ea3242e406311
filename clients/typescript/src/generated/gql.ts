/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query AgentCustomerByEmail($email: String!) {\n  customerByIdentity(type: EMAIL, value: $email) {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    crm {\n      accountManager\n      openCases {\n        subject\n        status\n      }\n    }\n    segments {\n      segment {\n        name\n      }\n    }\n    events(first: 5) {\n      edges {\n        node {\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.AgentCustomerByEmailDocument,
    "query CustomerCard($id: ID!) {\n  customer(id: $id) {\n    id\n    loyalty {\n      tier\n      pointsBalance\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.CustomerCardDocument,
    "query Me {\n  me {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n      updatedAt\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    events(first: 10, order: NEWEST_FIRST) {\n      edges {\n        node {\n          id\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.MeDocument,
    "query PartnerCustomers($ids: [ID!]!) {\n  customers(ids: $ids) {\n    id\n    profile {\n      firstName\n      email\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}": typeof types.PartnerCustomersDocument,
    "query SegmentMembers($id: ID!, $first: Int, $after: String) {\n  segment(id: $id) {\n    id\n    name\n    members(first: $first, after: $after) {\n      edges {\n        cursor\n        since\n        node {\n          id\n          profile {\n            firstName\n            email\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": typeof types.SegmentMembersDocument,
    "query Segments {\n  segments {\n    id\n    name\n    description\n    realtime\n  }\n}": typeof types.SegmentsDocument,
};
const documents: Documents = {
    "query AgentCustomerByEmail($email: String!) {\n  customerByIdentity(type: EMAIL, value: $email) {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    crm {\n      accountManager\n      openCases {\n        subject\n        status\n      }\n    }\n    segments {\n      segment {\n        name\n      }\n    }\n    events(first: 5) {\n      edges {\n        node {\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.AgentCustomerByEmailDocument,
    "query CustomerCard($id: ID!) {\n  customer(id: $id) {\n    id\n    loyalty {\n      tier\n      pointsBalance\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}": types.CustomerCardDocument,
    "query Me {\n  me {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n      updatedAt\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    events(first: 10, order: NEWEST_FIRST) {\n      edges {\n        node {\n          id\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.MeDocument,
    "query PartnerCustomers($ids: [ID!]!) {\n  customers(ids: $ids) {\n    id\n    profile {\n      firstName\n      email\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}": types.PartnerCustomersDocument,
    "query SegmentMembers($id: ID!, $first: Int, $after: String) {\n  segment(id: $id) {\n    id\n    name\n    members(first: $first, after: $after) {\n      edges {\n        cursor\n        since\n        node {\n          id\n          profile {\n            firstName\n            email\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}": types.SegmentMembersDocument,
    "query Segments {\n  segments {\n    id\n    name\n    description\n    realtime\n  }\n}": types.SegmentsDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query AgentCustomerByEmail($email: String!) {\n  customerByIdentity(type: EMAIL, value: $email) {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    crm {\n      accountManager\n      openCases {\n        subject\n        status\n      }\n    }\n    segments {\n      segment {\n        name\n      }\n    }\n    events(first: 5) {\n      edges {\n        node {\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query AgentCustomerByEmail($email: String!) {\n  customerByIdentity(type: EMAIL, value: $email) {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    crm {\n      accountManager\n      openCases {\n        subject\n        status\n      }\n    }\n    segments {\n      segment {\n        name\n      }\n    }\n    events(first: 5) {\n      edges {\n        node {\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query CustomerCard($id: ID!) {\n  customer(id: $id) {\n    id\n    loyalty {\n      tier\n      pointsBalance\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["query CustomerCard($id: ID!) {\n  customer(id: $id) {\n    id\n    loyalty {\n      tier\n      pointsBalance\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n      updatedAt\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    events(first: 10, order: NEWEST_FIRST) {\n      edges {\n        node {\n          id\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    profile {\n      firstName\n      lastName\n      email\n      phone\n    }\n    consents {\n      purpose\n      status\n      updatedAt\n    }\n    loyalty {\n      tier\n      pointsBalance\n    }\n    events(first: 10, order: NEWEST_FIRST) {\n      edges {\n        node {\n          id\n          type\n          occurredAt\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query PartnerCustomers($ids: [ID!]!) {\n  customers(ids: $ids) {\n    id\n    profile {\n      firstName\n      email\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}"): (typeof documents)["query PartnerCustomers($ids: [ID!]!) {\n  customers(ids: $ids) {\n    id\n    profile {\n      firstName\n      email\n    }\n    segments {\n      segment {\n        id\n        name\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SegmentMembers($id: ID!, $first: Int, $after: String) {\n  segment(id: $id) {\n    id\n    name\n    members(first: $first, after: $after) {\n      edges {\n        cursor\n        since\n        node {\n          id\n          profile {\n            firstName\n            email\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"): (typeof documents)["query SegmentMembers($id: ID!, $first: Int, $after: String) {\n  segment(id: $id) {\n    id\n    name\n    members(first: $first, after: $after) {\n      edges {\n        cursor\n        since\n        node {\n          id\n          profile {\n            firstName\n            email\n          }\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Segments {\n  segments {\n    id\n    name\n    description\n    realtime\n  }\n}"): (typeof documents)["query Segments {\n  segments {\n    id\n    name\n    description\n    realtime\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;