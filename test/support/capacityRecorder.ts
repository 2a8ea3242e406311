import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { changeMiddleware } from './middleware.js';

/** One DynamoDB call as dynalite accounted for it. */
export interface RecordedCall {
  readonly command: string;
  readonly tables: readonly string[];
  /** Capacity units dynalite reports (ReturnConsumedCapacity TOTAL): DynamoDB's own rounding, per item. */
  readonly units: number;
  readonly read: boolean;
}

const READS = new Set(['GetItemCommand', 'BatchGetItemCommand', 'QueryCommand', 'ScanCommand']);
const ACCOUNTED = new Set([...READS, 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'BatchWriteItemCommand']);

/**
 * Records every data call a DynamoDB client sends, with the capacity units
 * dynalite computes for it (it implements DynamoDB's item-size rules): asks
 * each call for ReturnConsumedCapacity=TOTAL and reads the answer.
 */
export function recordCapacity(client: DynamoDBClient): { calls: RecordedCall[]; reset(): void } {
  const calls: RecordedCall[] = [];
  changeMiddleware(client, (stack) =>
    stack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      if (!ACCOUNTED.has(command)) return next(args);
      const input = args.input as { TableName?: string; RequestItems?: Record<string, unknown>; ReturnConsumedCapacity?: string };
      input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const consumed = (result.output as { ConsumedCapacity?: { CapacityUnits?: number } | Array<{ CapacityUnits?: number }> }).ConsumedCapacity;
      const units = [consumed ?? []].flat().reduce((sum, entry) => sum + (entry.CapacityUnits ?? 0), 0);
      calls.push({ command: command.replace(/Command$/, ''), tables: input.TableName ? [input.TableName] : Object.keys(input.RequestItems ?? {}), units, read: READS.has(command) });
      return result;
    },
    { step: 'initialize', name: 'capacityRecorder' },
    ),
  );
  return { calls, reset: () => void calls.splice(0) };
}
