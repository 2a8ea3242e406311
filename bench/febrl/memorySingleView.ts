import type {
  ConsentChangeRecord,
  CustomerRecord,
  IdentityClaim,
  IdentityKey,
  IdentityLogEntry,
  MergeLink,
  SingleViewPort,
  WriteOutcome,
} from '../../connectors/singleview/port.js';

/**
 * The single view's identity operations held in maps, with DynamoDB's
 * conditions (conditional create, version-checked replace, claim if absent,
 * move or release if held by one of): what `identify` uses, nothing more.
 * The evaluation runs the engine over this because dynalite costs about
 * 60 ms per identify on the benchmark machine; resolution-eval.ts first runs
 * a sample over both and stops if they disagree.
 */
export class MemorySingleView implements Pick<
  SingleViewPort,
  | 'getCustomers'
  | 'getMergeLinks'
  | 'customerIdsByIdentity'
  | 'createCustomer'
  | 'replaceCustomer'
  | 'deleteCustomers'
  | 'claimIdentity'
  | 'moveIdentity'
  | 'releaseIdentity'
  | 'moveEvents'
  | 'getConsentHistory'
  | 'appendConsentChanges'
  | 'appendIdentityLog'
> {
  private readonly customers = new Map<string, CustomerRecord>();
  private readonly index = new Map<string, string>();

  async getCustomers(ids: readonly string[]): Promise<Array<CustomerRecord | null>> {
    return ids.map((id) => this.customers.get(id) ?? null);
  }

  async getMergeLinks(ids: readonly string[]): Promise<Array<MergeLink | null>> {
    return ids.map((id) => this.customers.get(id) ?? null);
  }

  async customerIdsByIdentity(keys: readonly IdentityKey[]): Promise<Array<string | null>> {
    return keys.map((key) => this.index.get(`${key.type}#${key.value}`) ?? null);
  }

  async createCustomer(record: CustomerRecord): Promise<WriteOutcome> {
    if (this.customers.has(record.id)) return 'conflict';
    this.customers.set(record.id, record);
    return 'written';
  }

  async replaceCustomer(record: CustomerRecord, expectedVersion: number): Promise<WriteOutcome> {
    const stored = this.customers.get(record.id);
    if (!stored || (stored.version ?? 0) !== expectedVersion) return 'conflict';
    this.customers.set(record.id, record);
    return 'written';
  }

  async deleteCustomers(ids: readonly string[]): Promise<number> {
    return ids.filter((id) => this.customers.delete(id)).length;
  }

  async claimIdentity(key: IdentityKey, customerId: string): Promise<IdentityClaim> {
    const held = this.index.get(`${key.type}#${key.value}`);
    if (held !== undefined) return { status: 'held', customerId: held };
    this.index.set(`${key.type}#${key.value}`, customerId);
    return { status: 'claimed' };
  }

  async moveIdentity(key: IdentityKey, fromIds: readonly string[], toId: string): Promise<WriteOutcome> {
    const held = this.index.get(`${key.type}#${key.value}`);
    if (held === undefined || !fromIds.includes(held)) return 'conflict';
    this.index.set(`${key.type}#${key.value}`, toId);
    return 'written';
  }

  async releaseIdentity(key: IdentityKey, customerIds: readonly string[]): Promise<WriteOutcome> {
    const held = this.index.get(`${key.type}#${key.value}`);
    if (held === undefined || !customerIds.includes(held)) return 'conflict';
    this.index.delete(`${key.type}#${key.value}`);
    return 'written';
  }

  /** identify stores no events: nothing to move. */
  async moveEvents(): Promise<{ moved: number; more: boolean }> {
    return { moved: 0, more: false };
  }

  /** identify records no consent: no history to copy. */
  async getConsentHistory(): Promise<ConsentChangeRecord[]> {
    return [];
  }

  async appendConsentChanges(): Promise<void> {}

  /** The change log is not what the evaluation measures. */
  async appendIdentityLog(_entries: readonly IdentityLogEntry[]): Promise<void> {}
}
