import { z } from 'zod';
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
