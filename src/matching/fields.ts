/**
 * The attributes the probabilistic matcher compares, by their public names
 * (`npm run resolution:eval -- --map FIELD=COLUMN` accepts exactly these).
 */
export const MATCH_FIELDS = [
  'firstName',
  'lastName',
  'birthDate',
  'email',
  'phone',
  'streetNumber',
  'street',
  'locality',
  'city',
  'postcode',
  'state',
  'nationalId',
] as const;

export type MatchField = (typeof MATCH_FIELDS)[number];

export function isMatchField(name: string): name is MatchField {
  return (MATCH_FIELDS as readonly string[]).includes(name);
}

/** A raw attribute value: one, several (a customer with two emails), or none. */
export type RawValue = string | readonly string[] | null | undefined;

/**
 * A record as its holder has it, before normalization. Plain data: the
 * matcher knows nothing of where it came from.
 */
export interface MatchRecord {
  /** Unique among the records matched together. */
  readonly id: string;
  /**
   * Where the record comes from. With `linkOnly`, two records of one source
   * are never compared (linkage of two deduplicated files, FEBRL 4).
   */
  readonly source?: string | undefined;
  readonly values: Partial<Record<MatchField, RawValue>>;
}
