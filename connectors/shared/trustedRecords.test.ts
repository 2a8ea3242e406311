import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { TrustedRecords } from './trustedRecords.js';

const schema = z.object({ id: z.string(), tags: z.array(z.string()) });

describe('records of a trusted in-process store', () => {
  it('are parsed once per stored item and handed out as the same frozen record', () => {
    const records = new TrustedRecords('test');
    const item = { id: 'a', tags: ['x'] };
    const first = records.read(schema, item);
    expect(first).toEqual({ id: 'a', tags: ['x'] });
    expect(records.read(schema, item)).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen((first as { tags: string[] }).tags)).toBe(true);
    // A reader cannot change what the next one gets.
    expect(() => (first as { tags: string[] }).tags.push('y')).toThrow(TypeError);
    // A write replaces the stored item: the new one is parsed on its own.
    expect(records.read(schema, { id: 'a', tags: ['x', 'y'] })).toEqual({ id: 'a', tags: ['x', 'y'] });
  });

  it('answer a malformed item as a malformed payload for its own key, naming the field', () => {
    const records = new TrustedRecords('crm');
    const bad = records.read(schema, { id: 'b', tags: 'none' });
    expect(bad).toBeInstanceOf(Error);
    expect((bad as Error).message).toMatch(/^crm source returned a malformed payload: .*tags/);
    expect(() => records.readOrThrow(schema, { id: 1 })).toThrow(/malformed payload/);
  });
});
