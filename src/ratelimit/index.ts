import { DynamoSingleView } from '../../connectors/singleview/dynamodb.js';
import type { SingleViewPort } from '../../connectors/singleview/port.js';
import { DynamoRateLimitStore } from './dynamodb.js';
import { MemoryRateLimitStore } from './memory.js';
import type { RateLimitStore } from './port.js';

export type { RateLimitStore } from './port.js';

/** `memory` (default): per instance. `dynamodb`: one budget per principal across every instance on the same tables. */
export function createRateLimitStore(kind: 'memory' | 'dynamodb', singleView: SingleViewPort): RateLimitStore {
  switch (kind) {
    case 'memory':
      return new MemoryRateLimitStore();
    case 'dynamodb':
      // The shared buckets live in the single view's DynamoDB tables.
      if (!(singleView instanceof DynamoSingleView)) {
        throw new Error('C360_RATE_LIMIT_STORE=dynamodb needs the single view on DynamoDB (not C360_SOURCES=memory)');
      }
      return new DynamoRateLimitStore(singleView.document, singleView.tables.rateLimits);
  }
}
