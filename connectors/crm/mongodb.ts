import { MongoClient } from 'mongodb';
import type { Collection, Db } from 'mongodb';
import type { z } from 'zod';
import type { CallOptions } from '../resilience/callOptions.js';
import { malformedPayload } from '../resilience/sourceError.js';
import type { EraseOutcome } from '../shared/erasure.js';
import type { CrmContactRecord, CrmPort } from './port.js';
import { mongoContactSchema } from './schemas.js';

export interface MongoCrmOptions {
  readonly url: string;
  readonly database: string;
  /** Collection of contacts, one document per customer, cases embedded. */
  readonly collection?: string;
  readonly maxPoolSize?: number;
}

type ContactDocument = z.input<typeof mongoContactSchema>;

const PROJECTION = {
  _id: 1,
  customerRef: 1,
  accountManager: 1,
  firstName: 1,
  lastName: 1,
  email: 1,
  phone: 1,
  cases: 1,
} as const;

/**
 * The CRM on MongoDB. One `find` with `$in` per batch, projected to the fields
 * the port returns, over a unique index on `customerRef` created at start.
 * Refs reach the query only as string values inside `$in`: anything that is
 * not a plain string is rejected before the driver sees it, so a variable can
 * never smuggle in an operator.
 */
export class MongoCrm implements CrmPort {
  private constructor(
    private readonly client: MongoClient,
    private readonly contacts: Collection<ContactDocument>,
  ) {}

  static async connect(options: MongoCrmOptions): Promise<MongoCrm> {
    const client = new MongoClient(options.url, {
      maxPoolSize: options.maxPoolSize ?? 20,
      serverSelectionTimeoutMS: 2_000,
      appName: 'c360',
    });
    await client.connect();
    const db: Db = client.db(options.database);
    const contacts = db.collection<ContactDocument>(options.collection ?? 'contacts');
    await contacts.createIndex({ customerRef: 1 }, { unique: true, name: 'customerRef_unique' });
    return new MongoCrm(client, contacts);
  }

  async getMany(customerRefs: readonly string[], options?: CallOptions): Promise<Array<CrmContactRecord | null | Error>> {
    const refs = [...new Set(customerRefs.map(requireString))];
    const documents = await this.contacts
      .find({ customerRef: { $in: refs } }, { projection: PROJECTION, signal: options?.signal })
      .toArray();
    const byRef = new Map<string, CrmContactRecord | Error>();
    for (const document of documents) {
      const parsed = mongoContactSchema.safeParse(document);
      if (!parsed.success) {
        if (typeof document.customerRef === 'string') byRef.set(document.customerRef, malformedPayload('crm', parsed.error.issues));
        continue;
      }
      const { _id, ...rest } = parsed.data;
      byRef.set(rest.customerRef, { crmId: _id, ...rest });
    }
    return customerRefs.map((ref) => byRef.get(ref) ?? null);
  }

  /**
   * deleteMany over the unique customerRef index; the contact document holds
   * the cases, so they go with it. The driver takes no AbortSignal on deletes;
   * SourceGuard's deadline still bounds the call.
   */
  async erase(customerRefs: readonly string[], _options?: CallOptions): Promise<EraseOutcome> {
    const refs = [...new Set(customerRefs.map(requireString))];
    const result = await this.contacts.deleteMany({ customerRef: { $in: refs } });
    return result.deletedCount > 0 ? 'erased' : 'not_found';
  }

  async health(options?: CallOptions): Promise<void> {
    await this.client.db('admin').command({ ping: 1 }, { signal: options?.signal });
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

function requireString(value: unknown): string {
  if (typeof value !== 'string') throw new TypeError('CRM customer refs must be strings');
  return value;
}
