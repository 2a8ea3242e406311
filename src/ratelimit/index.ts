import type { DynamoSingleView } from '../../connectors/singleview/dynamodb.js';
import { DynamoRateLimitStore } from './dynamodb.js';
import { MemoryRateLimitStore } from './memory.js';
import type { RateLimitStore } from './port.js';

export type { RateLimitStore } from './port.js';

/** `memory` (default): per instance. `dynamodb`: one budget per principal across every instance on the same tables. */
export function createRateLimitStore(kind: 'memory' | 'dynamodb', singleView: DynamoSingleView): RateLimitStore {
  switch (kind) {
    case 'memory':
      return new MemoryRateLimitStore();
    case 'dynamodb':
      return new DynamoRateLimitStore(singleView.document, singleView.tables.rateLimits);
  }
}
