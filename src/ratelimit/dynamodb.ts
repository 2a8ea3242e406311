import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { untilAborted } from '../../connectors/singleview/itemClient.js';
import type { ItemClient } from '../../connectors/singleview/itemClient.js';
import { windowId } from './memory.js';
import type { LeaseOutcome, LeaseRequest, RateLimitStore } from './port.js';

/** The expiry attribute TTL deletes windows by (connectors/singleview/tables.ts enables it). */
export const RATE_LIMIT_EXPIRY_ATTRIBUTE = 'expiresAt';
/** A window's item outlives its window by this much, so a clock a little behind still finds it. */
const EXPIRY_SLACK_SECONDS = 300;

/**
 * Window counts in the single view's `<prefix>rate_limits` table, shared by
 * every gateway instance on that table: one item per principal and window
 * (`bucket` = `principal#windowStart`, `spent`, `expiresAt`). A lease is one
 * `UpdateItem` that ADDs the block to `spent` on condition that the sum stays
 * within the limit; nothing is read first, and a refused lease writes
 * nothing. TTL deletes the item a few minutes after its window ends.
 */
export class DynamoRateLimitStore implements RateLimitStore {
  constructor(
    private readonly document: ItemClient,
    private readonly table: string,
  ) {}

  async lease(request: LeaseRequest, options: { signal?: AbortSignal } = {}): Promise<LeaseOutcome> {
    if (request.tokens > request.limit) return 'exhausted';
    try {
      const lease = this.document.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { bucket: windowId(request) },
          UpdateExpression: 'SET #expires = :expires ADD #spent :tokens',
          ConditionExpression: 'attribute_not_exists(#spent) OR #spent <= :most',
          ExpressionAttributeNames: { '#spent': 'spent', '#expires': RATE_LIMIT_EXPIRY_ATTRIBUTE },
          ExpressionAttributeValues: {
            ':tokens': request.tokens,
            ':most': request.limit - request.tokens,
            ':expires': Math.ceil((request.windowStart + request.windowMs) / 1000) + EXPIRY_SLACK_SECONDS,
          },
        }),
      );
      // The signal is the caller's deadline; the call itself carries none (itemClient.ts).
      await untilAborted(lease, options.signal);
      return 'granted';
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return 'exhausted';
      throw error;
    }
  }

  async close(): Promise<void> {}
}
