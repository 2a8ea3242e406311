import { describe, expect, it } from 'vitest';
import { cursorOf, decodeCursor, encodeCursor } from './cursor.js';

describe('cursors', () => {
  const position = (item: { readonly at: string; readonly id: string }) => ({ at: item.at, id: item.id });

  it('names the same position whether made once per frozen item or afresh, and decodes back to it', () => {
    const frozen = Object.freeze({ at: '2026-10-28T16:43:03.687Z', id: 'evt_1' });
    const open = { at: '2026-10-28T16:43:03.687Z', id: 'evt_2' };
    expect(cursorOf(frozen, position)).toBe(encodeCursor(frozen));
    expect(cursorOf(frozen, position)).toBe(cursorOf(frozen, position));
    expect(decodeCursor(cursorOf(frozen, position), 'after')).toEqual({ at: frozen.at, id: frozen.id });
    // An item that can still change is encoded as it is now, never from an earlier answer.
    const before = cursorOf(open, position);
    open.id = 'evt_3';
    expect(decodeCursor(before, 'after')).toEqual({ at: open.at, id: 'evt_2' });
    expect(decodeCursor(cursorOf(open, position), 'after')).toEqual({ at: open.at, id: 'evt_3' });
  });

  it('refuses what it did not make, naming the argument', () => {
    expect(() => decodeCursor('not a cursor!', 'after')).toThrow('after is not a cursor this API returned; pass pageInfo.endCursor unchanged.');
  });
});
