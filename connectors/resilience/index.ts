export { SourceGuard } from './sourceGuard.js';
export type { CircuitStatus, SourceCall, SourceCallObserver, SourceGuardOptions } from './sourceGuard.js';
export { SourceError, malformedPayload } from './sourceError.js';
export type { SourceFailure } from './sourceError.js';
export type { CallOptions } from './callOptions.js';
export { AGAIN, boundedRetry, errorsOf } from './boundedRetry.js';
export type { BoundedRetryOptions } from './boundedRetry.js';
