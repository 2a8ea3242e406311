import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient, PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import type { BucketPolicy, RateDecision, RateLimitStore } from './port.js';
import { takeToken } from './tokenBucket.js';

const bucketItemSchema = z.object({
  bucket: z.string(),
  tokens: z.number().finite(),
  updatedAt: z.number().finite(),
  version: z.number().int().nonnegative(),
});

/** Attempts before a take under heavy contention on one bucket gives up and refuses. */
const MAX_ATTEMPTS = 8;
/** Retry-After for such a refusal: the principal is already sending many requests at once. */
const CONTENDED_RETRY_MS = 1_000;

/**
 * Buckets in the single view's `<prefix>rate_limits` table, shared by every
 * gateway instance on that table. Each take reads the bucket (consistent
 * read), computes the refill, and writes it back on condition that nobody
 * else wrote since (a version number): optimistic concurrency with
 * conditional writes, since dynalite has no transactions. A refused take
 * writes nothing. One small item per principal.
 */
export class DynamoRateLimitStore implements RateLimitStore {
  constructor(
    private readonly document: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: () => number = Date.now,
  ) {}

  async take(key: string, policy: BucketPolicy, options: { signal?: AbortSignal } = {}): Promise<RateDecision> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const stored = await this.read(key, options.signal);
      const { decision, next } = takeToken(stored.kind === 'bucket' ? stored.item : undefined, policy, this.clock());
      if (!decision.allowed) return decision;
      const version = stored.kind === 'bucket' ? stored.item.version : 0;
      try {
        await this.document.send(
          new PutCommand({ TableName: this.table, Item: { bucket: key, ...next, version: version + 1 }, ...writeCondition(stored) }),
          { abortSignal: options.signal },
        );
        return decision;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    return { allowed: false, retryAfterMs: CONTENDED_RETRY_MS };
  }

  async close(): Promise<void> {}

  private async read(key: string, signal: AbortSignal | undefined): Promise<StoredBucket> {
    const { Item } = await this.document.send(new GetCommand({ TableName: this.table, Key: { bucket: key }, ConsistentRead: true }), {
      abortSignal: signal,
    });
    if (!Item) return { kind: 'absent' };
    const parsed = bucketItemSchema.safeParse(Item);
    return parsed.success ? { kind: 'bucket', item: parsed.data } : { kind: 'unreadable' };
  }
}

type StoredBucket =
  | { readonly kind: 'absent' }
  | { readonly kind: 'bucket'; readonly item: z.infer<typeof bucketItemSchema> }
  /** Not a bucket this code wrote: it starts over full rather than failing every request of that principal. */
  | { readonly kind: 'unreadable' };

/** Write only if nobody wrote since the read: the version read, or no item at all. */
function writeCondition(stored: StoredBucket): Pick<PutCommandInput, 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'> {
  switch (stored.kind) {
    case 'bucket':
      return { ConditionExpression: '#version = :version', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':version': stored.item.version } };
    case 'absent':
      return { ConditionExpression: 'attribute_not_exists(#bucket)', ExpressionAttributeNames: { '#bucket': 'bucket' } };
    case 'unreadable':
      return {};
  }
}
