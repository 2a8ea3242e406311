import { MongoClient } from 'mongodb';
import type { Document, MongoClientOptions } from 'mongodb';
import type { CallOptions } from '../resilience/callOptions.js';
import { SourceError } from '../resilience/sourceError.js';
import type { EraseOutcome } from '../shared/erasure.js';
import { DEFAULT_CRM_MAPPING, projectedPaths } from './mapping.js';
import type { CrmMapping } from './mapping.js';
import { canonicalId, contactFromDocument, idString, uniqueQueryValues, valueAt } from './mongoDocuments.js';
import type { CrmContactRecord, CrmPort } from './port.js';

export interface MongoCrmOptions {
  readonly url: string;
  readonly database: string;
  /** Where the CRM keeps its contacts and how they read (docs/integration.md); the c360 shape by default. */
  readonly mapping?: CrmMapping;
  readonly maxPoolSize?: number;
}

/**
 * The CRM on MongoDB, read in the CRM's own collection through a field
 * mapping: one `find` with `$in` on the id field per batch, projected to the
 * mapped paths. The gateway creates no index and writes nothing but erasure
 * deletes; the id field should be indexed (`_id` always is).
 *
 * Ids reach the query only as values of the configured type inside `$in`
 * (a string, a number parsed from digits, or an ObjectId parsed from 24 hex
 * digits); an id that cannot be of that type matches nothing, and no value
 * can smuggle in an operator.
 *
 * The connection is made on first use and made again after a failed
 * attempt, so a CRM that is down when the gateway starts is picked up when it
 * comes back; once connected, the driver follows the server's restarts itself.
 */
export class MongoCrm implements CrmPort {
  private readonly mapping: CrmMapping;
  private readonly clientOptions: MongoClientOptions;
  private connecting: Promise<MongoClient> | undefined;
  /** Why the last attempt to connect failed (class and code only), while no attempt has succeeded since. */
  private lastFailure: string | undefined;
  private closed = false;

  private constructor(
    private readonly options: MongoCrmOptions,
    first: MongoClient,
  ) {
    this.mapping = options.mapping ?? DEFAULT_CRM_MAPPING;
    this.clientOptions = clientOptions(options);
    this.connecting = this.connect(first);
  }

  /** Parses the URL (a bad one throws here, at start) and starts connecting; never waits for the server. */
  static open(options: MongoCrmOptions): MongoCrm {
    return new MongoCrm(options, new MongoClient(options.url, clientOptions(options)));
  }

  async getMany(crmIds: readonly string[], options?: CallOptions): Promise<Array<CrmContactRecord | null | Error>> {
    const type = this.mapping.idType;
    const values = uniqueQueryValues(crmIds, type);
    if (values.length === 0) return crmIds.map(() => null);
    const collection = await this.collection(options?.signal);
    const documents = await collection
      .find({ [this.mapping.idField]: { $in: values } }, { projection: this.projection(), signal: options?.signal })
      .toArray();
    const byId = new Map<string, CrmContactRecord | Error>();
    for (const document of documents) {
      const id = idString(valueAt(document, this.mapping.idField), type);
      if (id !== undefined) byId.set(id, contactFromDocument(id, document, this.mapping));
    }
    return crmIds.map((crmId) => {
      const key = canonicalId(crmId, type);
      return (key !== undefined && byId.get(key)) || null;
    });
  }

  /**
   * deleteMany on the id field; the contact document holds the cases, so they
   * go with it. The driver takes no AbortSignal on deletes; SourceGuard's
   * deadline still bounds the call.
   */
  async erase(crmIds: readonly string[], options?: CallOptions): Promise<EraseOutcome> {
    const values = uniqueQueryValues(crmIds, this.mapping.idType);
    if (values.length === 0) return 'not_found';
    const collection = await this.collection(options?.signal);
    const result = await collection.deleteMany({ [this.mapping.idField]: { $in: values } });
    return result.deletedCount > 0 ? 'erased' : 'not_found';
  }

  async health(options?: CallOptions): Promise<void> {
    const client = await this.client(options?.signal);
    await client.db('admin').command({ ping: 1 }, { signal: options?.signal });
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = await this.connecting?.catch(() => undefined);
    await client?.close();
  }

  private projection(): Document {
    return Object.fromEntries(projectedPaths(this.mapping).map((path) => [path, 1]));
  }

  private async collection(signal: AbortSignal | undefined) {
    const client = await this.client(signal);
    return client.db(this.options.database).collection(this.mapping.collection);
  }

  /**
   * The connected client. After a failed attempt, calls do not wait for the
   * next one (a server selection takes seconds): each starts an attempt if
   * none is under way and fails at once as unavailable, until one succeeds.
   */
  private client(signal: AbortSignal | undefined): Promise<MongoClient> {
    if (this.closed) return Promise.reject(new Error('the CRM client is closed'));
    const failure = this.lastFailure;
    this.connecting ??= this.connect(new MongoClient(this.options.url, this.clientOptions));
    if (failure !== undefined) return Promise.reject(new SourceError('crm', 'unavailable', `not connected (${failure})`));
    return abortable(this.connecting, signal);
  }

  /** One attempt; a failure is remembered and the attempt forgotten, so the next call tries again with a fresh client. */
  private connect(client: MongoClient): Promise<MongoClient> {
    const connecting = client.connect().then(
      (connected) => {
        this.lastFailure = undefined;
        return connected;
      },
      async (error: unknown) => {
        if (this.connecting === connecting) this.connecting = undefined;
        this.lastFailure = errorClass(error);
        await client.close().catch(() => undefined);
        throw error;
      },
    );
    // Callers see the failure; nobody waiting is not an unhandled rejection.
    connecting.catch(() => undefined);
    return connecting;
  }
}

/**
 * The pool and a server selection of 2 s; either can be set in the URL
 * instead (`?maxPoolSize=50&serverSelectionTimeoutMS=5000`), which wins.
 */
function clientOptions(options: MongoCrmOptions): MongoClientOptions {
  const inUrl = new Set([...new URLSearchParams(options.url.split('?')[1] ?? '').keys()].map((key) => key.toLowerCase()));
  return {
    ...(inUrl.has('maxpoolsize') ? {} : { maxPoolSize: options.maxPoolSize ?? 20 }),
    ...(inUrl.has('serverselectiontimeoutms') ? {} : { serverSelectionTimeoutMS: 2_000 }),
    appName: 'c360',
  };
}

/** The error's class and code: a driver's message can quote the connection string. */
function errorClass(error: unknown): string {
  if (!(error instanceof Error)) return 'unknown failure';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' || typeof code === 'number' ? `${error.name} ${code}` : error.name;
}

/** Waits for `promise` unless the signal aborts first (the connection attempt itself goes on). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

