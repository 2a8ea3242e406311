import { z } from 'zod';
import { oncePerFrozen } from '../connectors/shared/trustedRecords.js';
import { badUserInput } from './errors.js';

/**
 * Opaque cursors: base64url of a small JSON position. Clients must not build
 * them; a cursor that does not decode to a position is BAD_USER_INPUT.
 */
const positionSchema = z.object({ t: z.iso.datetime(), id: z.string().min(1).max(200) });

export interface Position {
  readonly at: string;
  readonly id: string;
}

export function encodeCursor(position: Position): string {
  return Buffer.from(JSON.stringify({ t: position.at, id: position.id })).toString('base64url');
}

/**
 * The cursor of a stored item whose time and id are `at` and `id`: made once
 * per frozen item (a trusted in-process store hands out the same frozen event
 * until it changes, connectors/shared/trustedRecords.ts), so that the events
 * page a customer's every read repeats does not encode the same five cursors
 * again; any other item is encoded afresh.
 */
export function cursorOf<T extends object>(item: T, position: (item: T) => Position): string {
  return oncePerFrozen(frozenCursors, item, () => encodeCursor(position(item)));
}

const frozenCursors = new WeakMap<object, string>();

export function decodeCursor(cursor: string | null | undefined, field: string): Position | undefined {
  if (cursor === null || cursor === undefined) return undefined;
  try {
    if (cursor.length > 1024 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const parsed = positionSchema.parse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return { at: parsed.t, id: parsed.id };
  } catch {
    throw badUserInput(`${field} is not a cursor this API returned; pass pageInfo.endCursor unchanged.`, field);
  }
}
