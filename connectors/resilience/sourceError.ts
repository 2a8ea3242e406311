/**
 * The one error a connector raises when its source fails. Adapters never
 * import GraphQL: the GraphQL layer turns this into SOURCE_UNAVAILABLE or
 * SOURCE_TIMEOUT with `extensions.source` (src/errors.ts).
 *
 * Messages name the source and what went wrong, never a payload value, so a
 * SourceError is safe to log and to show to a client.
 */
export type SourceFailure =
  | 'timeout'
  | 'unavailable'
  | 'circuit_open'
  /** The gateway's own budget of calls to the source was full: refused without calling it. */
  | 'overloaded'
  | 'malformed_payload'
  | 'rejected';

export class SourceError extends Error {
  override readonly name = 'SourceError';
  readonly source: string;
  readonly failure: SourceFailure;
  /** How long the source asked to be left alone (HTTP Retry-After); the guard's retry waits this long instead of its own backoff. */
  readonly retryAfterMs: number | undefined;

  constructor(source: string, failure: SourceFailure, detail: string, options?: { cause?: unknown; retryAfterMs?: number | undefined }) {
    super(`${source} source ${describe(failure)}: ${detail}`, options);
    this.source = source;
    this.failure = failure;
    this.retryAfterMs = options?.retryAfterMs;
  }

  get isTimeout(): boolean {
    return this.failure === 'timeout';
  }
}

function describe(failure: SourceFailure): string {
  switch (failure) {
    case 'timeout':
      return 'timed out';
    case 'circuit_open':
      return 'is unavailable (circuit open)';
    case 'overloaded':
      return 'is unavailable (too many calls waiting)';
    case 'malformed_payload':
      return 'returned a malformed payload';
    case 'rejected':
      return 'rejected the request';
    case 'unavailable':
      return 'is unavailable';
  }
}

/**
 * Raised by adapters when a payload fails its zod schema. Lists the paths and
 * issue codes only: zod messages can echo input, and payloads hold personal data.
 */
export function malformedPayload(
  source: string,
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; code: string }>,
): SourceError {
  const where = issues
    .slice(0, 5)
    .map((issue) => `${issue.path.map(String).join('.') || '(root)'} ${issue.code}`)
    .join('; ');
  return new SourceError(source, 'malformed_payload', where || 'schema mismatch');
}
