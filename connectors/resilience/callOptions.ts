/** Passed by SourceGuard to every port method, so an adapter can stop work past its deadline. */
export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}
