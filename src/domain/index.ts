/**
 * The domain's vocabulary: ids, identity types, purposes, PII classes,
 * consent, customer, event, audit record. Types and enumerations only; it
 * imports nothing from connectors, GraphQL or Fastify (npm run lint checks
 * the cycles, src/domain/vocabulary.test.ts the imports).
 */
export * from './vocabulary.js';
export type * from './customer.js';
export type * from './event.js';
export type * from './audit.js';
export type * from './apiKey.js';
export type * from './consent.js';
export type * from './identityLog.js';
export type * from './suggestion.js';
export type * from './erasure.js';
export type * from './job.js';
export * from './identityKey.js';
