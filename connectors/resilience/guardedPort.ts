import type { CallOptions } from './callOptions.js';
import type { SourceGuard } from './sourceGuard.js';

/**
 * How one port method is called through its source's guard:
 * - `read`: retried with backoff within the deadline;
 * - `idempotent`: a write that lands once however often it is repeated (a
 *   put of the same item, an erase), retried like a read;
 * - `write`: one attempt (a conditional write answers `conflict` rather than
 *   throw, so a lost race never counts against the breaker).
 * `options` is the position of the method's CallOptions argument; `batch`
 * the position of the argument whose length is the call's batch size (on
 * the span).
 */
export interface GuardedCall {
  readonly kind: 'read' | 'idempotent' | 'write';
  readonly options: number;
  readonly batch?: number;
}

/**
 * A plan names every method of a port: guarded, or `unguarded` for what
 * runs outside the request path (health has its own deadline in readiness,
 * close, administration). The type asks for every method, so a method added
 * to a port cannot be left out of its guard.
 */
export type GuardPlan<P> = {
  readonly [K in keyof P]-?: P[K] extends (...args: never[]) => unknown ? GuardedCall | 'unguarded' : never;
};

/**
 * Wraps a port once, when sources are opened (src/sources.ts): every guarded
 * method runs under the source's deadline, retry (reads only), breaker and
 * span, so callers never call a guard by hand. A caller passes the span of
 * its request in the call options (`parentSpan`); the adapter gets the
 * attempt's abort signal and trace context in their place.
 */
export function guardPort<P extends object>(port: P, guard: SourceGuard, plan: GuardPlan<P>): P {
  const guarded: Record<string, unknown> = {};
  for (const [name, call] of Object.entries(plan) as Array<[string, GuardedCall | 'unguarded']>) {
    const methods = port as Record<string, (...args: unknown[]) => Promise<unknown>>;
    if (typeof methods[name] !== 'function') throw new TypeError(`port has no method ${name}`);
    // Looked up at each call, not once: a port may change its methods (a test's fault injection does).
    if (call === 'unguarded') {
      guarded[name] = (...args: unknown[]) => methods[name]!(...args);
      continue;
    }
    guarded[name] = (...args: unknown[]) => {
      const given = args[call.options] as CallOptions | undefined;
      const batch = call.batch === undefined ? undefined : (args[call.batch] as readonly unknown[] | undefined);
      return guard.run(
        { operation: name, batchSize: batch?.length ?? 1, idempotent: call.kind !== 'write', parentSpan: given?.parentSpan },
        (signal, traceContext) => {
          const attempt = [...args];
          while (attempt.length <= call.options) attempt.push(undefined);
          attempt[call.options] = { ...given, signal, traceContext };
          return methods[name]!(...attempt);
        },
      );
    };
  }
  return guarded as P;
}
