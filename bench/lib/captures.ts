import { readFileSync } from 'node:fs';

/**
 * What the gateway answered for each benchmark request, captured at the start
 * of a run, so the baselines answer the very same response (BENCH_CAPTURES).
 */
export interface Capture {
  /** The GraphQL operation name of the request. */
  readonly operationName: string;
  readonly query: string;
  readonly variables: Record<string, unknown>;
  /** The gateway's response body, byte for byte. */
  readonly body: string;
}

export type Captures = Readonly<Record<string, Capture>>;

export function readCaptures(file = process.env.BENCH_CAPTURES): Captures {
  if (!file) throw new Error('BENCH_CAPTURES must name the captures file the harness wrote');
  return JSON.parse(readFileSync(file, 'utf8')) as Captures;
}

/** The port a baseline listens on: the harness picks a free one and passes it in PORT. */
export function benchPort(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be the port to listen on');
  return port;
}
