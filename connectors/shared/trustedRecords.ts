import type { z } from 'zod';
import { malformedPayload } from '../resilience/sourceError.js';

/**
 * Records of a trusted in-process store (docs/architecture.md, "Where
 * records are validated"): each stored item is checked against its port's
 * zod schema once — when it is written, or for data loaded at start when it
 * is first read — and the parsed record is kept, frozen, and handed out as
 * is on every later read. Nothing copies or re-parses it per read, and
 * nothing can change it in place: a caller that wants another value builds
 * a new object (a write replaces the stored item, which drops its record).
 * A stored item that fails its schema answers as a malformed payload for
 * its own key, as from a remote source.
 */
export class TrustedRecords {
  private readonly parsed = new WeakMap<object, { readonly schema: z.ZodType; readonly value: unknown }>();

  constructor(private readonly source: string) {}

  /** The item's record (or its malformed-payload error), parsed at most once per stored item and schema. */
  read<S extends z.ZodType>(schema: S, item: object): z.output<S> | Error {
    const known = this.parsed.get(item);
    if (known && known.schema === schema) return known.value as z.output<S> | Error;
    const result = schema.safeParse(item);
    const value = result.success ? deepFreeze(result.data) : malformedPayload(this.source, result.error.issues);
    this.parsed.set(item, { schema, value });
    return value;
  }

  readOrThrow<S extends z.ZodType>(schema: S, item: object): z.output<S> {
    const value = this.read(schema, item);
    if (value instanceof Error) throw value;
    return value;
  }
}

/**
 * `compute`'s answer about a frozen item, kept with it: nothing changes a
 * frozen item, so the answer stays true for as long as the item lives (a
 * trusted store hands out the same one until a write replaces it). An item
 * that is not frozen is answered afresh each time.
 */
export function oncePerFrozen<K extends object, V>(kept: WeakMap<K, V>, item: K, compute: () => V): V {
  if (!Object.isFrozen(item)) return compute();
  let known = kept.get(item);
  if (known === undefined) kept.set(item, (known = compute()));
  return known;
}

/** Freezes a parsed record and everything in it, so a shared record cannot be changed by one reader under another. */
export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const inner of Object.values(value as Record<string, unknown>)) deepFreeze(inner);
  return value;
}
