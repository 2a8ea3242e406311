import { ErrorCode } from '../errors.js';

/**
 * Which request's trace an error belongs to. Apollo's formatError sees the
 * error but not the request, so the telemetry plugin tags each error it
 * encounters (didEncounterErrors runs before formatting) and formatError
 * reads the tag: an INTERNAL_SERVER_ERROR carries the trace id the log line
 * and the spans have, and nothing else.
 */
const traceIds = new WeakMap<object, string>();

export function tagErrorsWithTraceId(errors: readonly object[], traceId: string): void {
  for (const error of errors) {
    // A withheld personal field is an answer that formatError passes through; it never asks for its trace (a batch has hundreds).
    if ((error as { extensions?: { code?: unknown } }).extensions?.code === ErrorCode.PII_ACCESS_DENIED) continue;
    traceIds.set(error, traceId);
  }
}

export function traceIdOfError(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? traceIds.get(error) : undefined;
}
