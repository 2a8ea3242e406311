import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { AGAIN, boundedRetry } from '../../connectors/resilience/boundedRetry.js';

export interface EmbeddedDynamo {
  readonly endpoint: string;
  /** What dynalite's thread holds now (see EmbeddedDynamoStats). */
  stats(): Promise<EmbeddedDynamoStats>;
  close(): Promise<void>;
}

/** What dynalite's thread holds. */
export interface EmbeddedDynamoStats {
  /**
   * LevelDB iterators and batches open now. Each Query or Scan opens one and
   * closes it when it is answered, so at rest this is 0: one left open keeps
   * LevelDB's memory it reads from (a memtable, table blocks) for the life of
   * the process.
   */
  readonly openResources: number;
  /** The thread's V8 heap, in bytes. */
  readonly heapUsedBytes: number;
  readonly heapTotalBytes: number;
}

export interface EmbeddedDynamoOptions {
  /** Called if dynalite's thread dies after it started (the single view then refuses every call). */
  readonly onFailure?: (error: Error) => void;
}

/** Who has a data dir's LevelDB open, and where its dynalite listens. */
export interface DataDirOwner {
  readonly pid: number;
  readonly endpoint: string;
}

const OWNER_FILE = 'dynamodb.owner.json';

/** The data dir is held by another live process; LevelDB allows one opener. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    super(`The data dir ${dataDir} is in use by process ${owner.pid} (a gateway or npm run keys); LevelDB allows one process at a time.`);
  }
}

/**
 * dynalite in process: a real DynamoDB API server on loopback, backed by
 * LevelDB files under `<dataDir>/dynamodb`, or by memory when there is no
 * data dir. The gateway talks to it through the AWS SDK like to DynamoDB.
 * dynalite runs on a worker thread of its own (see WORKER_SOURCE), so its
 * HTTP parsing and LevelDB work use a second core instead of taking turns
 * with the gateway's event loop.
 *
 * LevelDB can be opened by one process only (a second opener crashes on its
 * first read), so the process that opens a data dir claims it in
 * `<dataDir>/dynamodb.owner.json` with its pid and endpoint: a second
 * gateway refuses to start, and `npm run keys` talks to the owner's dynalite
 * over loopback instead (see `dataDirOwner`).
 */
export async function startEmbeddedDynamo(dataDir: string | undefined, options: EmbeddedDynamoOptions = {}): Promise<EmbeddedDynamo> {
  let path: string | undefined;
  if (dataDir) {
    path = join(dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true });
    await claimDataDir(dataDir);
  }
  let started: { worker: Worker; endpoint: string };
  try {
    started = await startWorker(path);
  } catch (error) {
    if (dataDir) releaseDataDir(dataDir);
    throw error;
  }
  const { worker, endpoint } = started;
  let closing = false;
  worker.on('error', (error) => options.onFailure?.(error));
  worker.on('exit', (code) => {
    if (!closing) options.onFailure?.(new Error(`dynalite's thread exited with code ${code}`));
  });
  if (dataDir) writeFileSync(join(dataDir, OWNER_FILE), JSON.stringify({ pid: process.pid, endpoint } satisfies DataDirOwner));
  return {
    endpoint,
    stats: async () => {
      const openResources = await new Promise<number>((resolve) => {
        onWorkerMessage(worker, (message) => resolve(message.openResources ?? 0), 'openResources');
        worker.postMessage('stats');
      });
      const heap = await worker.getHeapStatistics();
      return { openResources, heapUsedBytes: heap.used_heap_size, heapTotalBytes: heap.total_heap_size };
    },
    close: async () => {
      closing = true;
      try {
        await new Promise<void>((resolve, reject) => {
          onWorkerMessage(worker, (message) => (message.error ? reject(new Error(message.error)) : resolve()), 'closed');
          worker.once('exit', () => resolve());
          worker.postMessage('close');
        });
      } finally {
        await worker.terminate();
        if (dataDir) releaseDataDir(dataDir);
      }
    },
  };
}

interface WorkerMessage {
  readonly c360: true;
  readonly port?: number;
  readonly closed?: boolean;
  readonly openResources?: number;
  readonly error?: string;
}

/**
 * The first message from the worker's own code (with `field`, the first
 * carrying it or an error: a close and a stats request can be answered in
 * any order). Node posts messages of its own on a worker's channel too
 * (under `node --watch`, the files the worker loaded), so only those marked
 * `c360` are ours.
 */
function onWorkerMessage(worker: Worker, listener: (message: WorkerMessage) => void, field?: 'closed' | 'openResources'): void {
  const handler = (message: unknown) => {
    const ours = message as Partial<WorkerMessage> | null;
    if (ours?.c360 !== true) return;
    if (field && !(field in ours) && ours.error === undefined) return;
    worker.off('message', handler);
    listener(message as WorkerMessage);
  };
  worker.on('message', handler);
}

/**
 * The worker: dynalite's server on an ephemeral loopback port, which it
 * reports; on any message it closes (open keep-alive sockets included) and
 * says so. Plain CommonJS, evaluated as is: dynalite is a CommonJS package.
 */
const WORKER_SOURCE = `
const { createRequire } = require('node:module');
const { parentPort, workerData } = require('node:worker_threads');
// dynalite (4.0) closes a Query's or Scan's LevelDB iterator through return(), the async-iterator
// protocol's, which abstract-level 3 iterators do not have (they have close()); so each one stayed
// open, held by the database until it closed, and with it the memtable and blocks it read from:
// native memory growing with every Query, for the life of the process. Give them return().
const { AbstractIterator, AbstractLevel } = createRequire(createRequire(workerData.dynalite).resolve('level'))('abstract-level');
const iteratorBase = Object.getPrototypeOf(AbstractIterator.prototype);
if (typeof iteratorBase.return !== 'function') iteratorBase.return = function () { return this.close(); };
// Iterators and batches open now, for stats().
const open = new WeakSet();
let openResources = 0;
const { attachResource, detachResource } = AbstractLevel.prototype;
AbstractLevel.prototype.attachResource = function (resource) {
  attachResource.call(this, resource);
  if (open.has(resource)) return;
  open.add(resource);
  openResources++;
};
AbstractLevel.prototype.detachResource = function (resource) {
  detachResource.call(this, resource);
  if (open.delete(resource)) openResources--;
};
const dynalite = require(workerData.dynalite);
const server = dynalite({ path: workerData.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
// Node closes idle keep-alive sockets after 5 s; a client that reuses one at that instant gets
// ECONNRESET, and writes are not retried. Keep them open longer than the SDK keeps them idle.
server.keepAliveTimeout = 120000;
server.headersTimeout = 121000;
server.once('error', (error) => parentPort.postMessage({ c360: true, error: error.message }));
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ c360: true, port: server.address().port }));
parentPort.on('message', (message) => {
  if (message === 'stats') parentPort.postMessage({ c360: true, openResources });
});
parentPort.on('message', function close(message) {
  if (message !== 'close') return;
  parentPort.off('message', close);
  server.closeAllConnections();
  server.close((error) => parentPort.postMessage(error ? { c360: true, error: error.message } : { c360: true, closed: true }));
});
`;

async function startWorker(path: string | undefined): Promise<{ worker: Worker; endpoint: string }> {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, dynalite: createRequire(import.meta.url).resolve('dynalite') } });
  try {
    // Its own listeners only, removed once it listens: after Worker.removeAllListeners(), which
    // drops Node's own listeners too, the thread's later replies (stats, close) did not arrive.
    let failed: (error: Error) => void = () => {};
    const exited = (code: number) => failed(new Error(`dynalite's thread exited with code ${code} before it listened`));
    const errored = (error: Error) => failed(error);
    worker.on('error', errored);
    worker.on('exit', exited);
    const port = await new Promise<number>((resolve, reject) => {
      failed = reject;
      onWorkerMessage(worker, (message) => (message.port ? resolve(message.port) : reject(new Error(message.error ?? 'dynalite did not start'))));
    }).finally(() => {
      worker.off('error', errored);
      worker.off('exit', exited);
    });
    return { worker, endpoint: `http://127.0.0.1:${port}` };
  } catch (error) {
    await worker.terminate();
    throw error;
  }
}

/** The live process holding this data dir, if any; a claim left by a dead process does not count. */
export function dataDirOwner(dataDir: string): DataDirOwner | undefined {
  let owner: Partial<DataDirOwner>;
  try {
    owner = JSON.parse(readFileSync(join(dataDir, OWNER_FILE), 'utf8')) as Partial<DataDirOwner>;
  } catch {
    return undefined;
  }
  if (typeof owner.pid !== 'number' || typeof owner.endpoint !== 'string' || !isAlive(owner.pid)) return undefined;
  return { pid: owner.pid, endpoint: owner.endpoint };
}

/**
 * Creates the claim file exclusively (`wx`), so of two processes starting at
 * once only one wins. A claim left by a process that is gone is removed and
 * the claim made again: twice at most, with a short jittered wait between,
 * since another process starting now may be removing and claiming it too.
 */
async function claimDataDir(dataDir: string): Promise<void> {
  const file = join(dataDir, OWNER_FILE);
  // The endpoint is filled in once dynalite listens; the pid alone already holds the claim.
  const claim = JSON.stringify({ pid: process.pid, endpoint: '' });
  await boundedRetry({ attempts: 2, initialDelayMs: 5, maxDelayMs: 50, exhausted: () => new Error(`Could not claim the data dir ${dataDir}.`) }, () => {
    try {
      writeFileSync(file, claim, { flag: 'wx' });
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Held by a live process, this one included (a second gateway in one process would open LevelDB twice).
      const owner = dataDirOwner(dataDir);
      if (owner) throw new DataDirInUseError(dataDir, owner);
      unlinkSync(file); // left by a process that is gone
      return AGAIN;
    }
  });
}

function releaseDataDir(dataDir: string): void {
  const file = join(dataDir, OWNER_FILE);
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as Partial<DataDirOwner>;
    if (owner.pid === process.pid) unlinkSync(file);
  } catch {
    // Already gone.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
