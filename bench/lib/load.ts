import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** One load measurement: a fixed number of connections for a fixed time, or a fixed rate. */
export interface LoadJob {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** Bodies taken in turn, one per request; `[<id>]` in a body becomes a unique id. */
  readonly bodies?: readonly string[];
  readonly connections: number;
  readonly durationSeconds: number;
  /** Requests per second across all connections (soak); unset means as fast as answers come. */
  readonly overallRate?: number;
  /**
   * Seconds the same connections run before the measured window opens
   * (`durationSeconds` long): the rate counts the answers that came back in
   * the window, the latencies are those of the requests sent in it, and the
   * load goes on after the window until each of those has its answer
   * (lib/window.ts). Opening connections is not what a point measures.
   * Unset or 0: every answer of the run counts, as autocannon reports it.
   */
  readonly settleSeconds?: number;
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  /** Milliseconds. */
  readonly latency: { readonly p50: number; readonly p97_5: number; readonly p99: number; readonly mean: number; readonly max: number };
  /** p50 and mean of the 2xx answers in milliseconds to the microsecond (`latency` has whole milliseconds); absent in older results. */
  readonly preciseLatency?: { readonly p50: number; readonly mean: number };
  readonly completed: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  /** 200 answers whose body carries GraphQL `errors`. */
  readonly responsesWithErrors: number;
  /** The start of the first such answer's `errors`, to say why. */
  readonly firstError?: string;
  readonly bytesPerResponse: number;
}

/** Told when a measured window opens and when it closes. */
export type WindowListener = (edge: 'open' | 'closed') => void;

/** The harness's handle on the load generator process (lib/loadWorker.ts, autocannon). */
export class LoadGenerator {
  private readonly child: ChildProcess;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve(result: LoadResult): void; reject(error: Error): void; onWindow?: WindowListener | undefined }>();

  constructor() {
    this.child = fork(fileURLToPath(new URL('./loadWorker.ts', import.meta.url)), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: { id: number; windowOpen?: true; windowClosed?: true; result?: LoadResult; error?: string }) => {
      const waiter = this.pending.get(message.id);
      if (message.windowOpen || message.windowClosed) {
        waiter?.onWindow?.(message.windowOpen ? 'open' : 'closed');
        return;
      }
      this.pending.delete(message.id);
      if (message.result) waiter?.resolve(message.result);
      else waiter?.reject(new Error(message.error ?? 'load generator failed'));
    });
    this.child.on('exit', () => {
      for (const waiter of this.pending.values()) waiter.reject(new Error('load generator exited'));
      this.pending.clear();
    });
  }

  /** `onWindow` is called when the measured window opens and when it closes (neither without `settleSeconds`): the harness reads the server's CPU there. */
  run(job: LoadJob, onWindow?: WindowListener): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onWindow });
      this.child.send({ id, job });
    });
  }

  /**
   * A measured window: its result, and the server's CPU per answer over it,
   * read when the window opens (after the settle) and when it closes (not
   * after the answers it then waits for: the rate counts the answers that
   * came back in the window). Without a settle, over the whole run.
   */
  async measure(job: LoadJob, cpuMs: () => number | undefined): Promise<{ result: LoadResult; cpuMsPerAnswer: number | undefined }> {
    let before = cpuMs();
    let atClose: number | undefined;
    const result = await this.run(job, (edge) => {
      if (edge === 'open') before = cpuMs();
      else atClose = cpuMs();
    });
    const after = atClose ?? cpuMs();
    return { result, cpuMsPerAnswer: before !== undefined && after !== undefined && result.completed > 0 ? (after - before) / result.completed : undefined };
  }

  close(): void {
    this.child.disconnect();
  }
}
