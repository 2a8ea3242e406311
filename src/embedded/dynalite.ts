import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';

export interface EmbeddedDynamo {
  readonly endpoint: string;
  close(): Promise<void>;
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
 *
 * LevelDB can be opened by one process only (a second opener crashes on its
 * first read), so the process that opens a data dir claims it in
 * `<dataDir>/dynamodb.owner.json` with its pid and endpoint: a second
 * gateway refuses to start, and `npm run keys` talks to the owner's dynalite
 * over loopback instead (see `dataDirOwner`).
 */
export async function startEmbeddedDynamo(dataDir: string | undefined): Promise<EmbeddedDynamo> {
  let path: string | undefined;
  if (dataDir) {
    path = join(dataDir, 'dynamodb');
    mkdirSync(path, { recursive: true });
    claimDataDir(dataDir);
  }
  const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  // Node closes idle keep-alive sockets after 5 s; a client that reuses one at that instant gets
  // ECONNRESET, and writes are not retried. Keep them open longer than the SDK keeps them idle.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 121_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    if (dataDir) releaseDataDir(dataDir);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  if (dataDir) writeFileSync(join(dataDir, OWNER_FILE), JSON.stringify({ pid: process.pid, endpoint } satisfies DataDirOwner));
  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => {
          if (dataDir) releaseDataDir(dataDir);
          if (error) reject(error);
          else resolve();
        });
      }),
  };
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

/** Creates the claim file exclusively (`wx`), so of two processes starting at once only one wins. */
function claimDataDir(dataDir: string): void {
  const file = join(dataDir, OWNER_FILE);
  // The endpoint is filled in once dynalite listens; the pid alone already holds the claim.
  const claim = JSON.stringify({ pid: process.pid, endpoint: '' });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, claim, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Held by a live process, this one included (a second gateway in one process would open LevelDB twice).
      const owner = dataDirOwner(dataDir);
      if (owner) throw new DataDirInUseError(dataDir, owner);
      unlinkSync(file); // left by a process that is gone
    }
  }
  throw new Error(`Could not claim the data dir ${dataDir}.`);
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
