import { ExponentialBackoff, handleWhenResult, retry } from 'cockatiel';

/** What an attempt answers to be run again (a claim whose holder let go in between, a batch with items left over). */
export const AGAIN: unique symbol = Symbol('again');

export interface BoundedRetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  /** First backoff (ms); each next one up to `maxDelayMs`, jittered (cockatiel's decorrelated jitter). */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Errors that count as "try again" too; by default an error ends the retries at once. */
  readonly retryOn?: ((error: unknown) => boolean) | undefined;
  /** Cancels a backoff wait (the caller's deadline). */
  readonly signal?: AbortSignal | undefined;
  /** The error thrown when the last attempt still answers AGAIN. */
  readonly exhausted: () => Error;
}

/**
 * The one retry loop outside the source guards: runs `attempt` until it
 * answers something other than AGAIN (or throws an error `retryOn` does not
 * accept), at most `attempts` times, with exponential backoff and
 * decorrelated jitter between attempts, so racing writers spread out instead
 * of colliding again. Past the bound it throws `exhausted()`. `attempt` is
 * given its number, counting from 0.
 */
export async function boundedRetry<T>(options: BoundedRetryOptions, attempt: (n: number) => Promise<T | typeof AGAIN> | T | typeof AGAIN): Promise<T> {
  const handled = handleWhenResult((result) => result === AGAIN);
  const policy = retry(options.retryOn ? handled.orWhen(options.retryOn) : handled, {
    maxAttempts: options.attempts - 1,
    backoff: new ExponentialBackoff({ initialDelay: options.initialDelayMs, maxDelay: options.maxDelayMs }),
  });
  let result: T | typeof AGAIN;
  try {
    result = await policy.execute(({ attempt: n }) => attempt(n), options.signal);
  } catch (error) {
    if (options.retryOn?.(error)) throw options.exhausted();
    throw error;
  }
  if (result === AGAIN) throw options.exhausted();
  return result;
}

/** `retryOn` for errors of one class (a lost race that the caller may redo from fresh reads). */
export function errorsOf(type: abstract new (...args: never[]) => Error): (error: unknown) => boolean {
  return (error) => error instanceof type;
}
