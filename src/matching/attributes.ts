import type { MatchField } from './fields.js';

/**
 * How each attribute is normalized and compared. The comparison kind fixes
 * the attribute's comparison levels (comparisons.ts); the model file holds
 * one m, u and weight per level.
 */
export type ComparisonKind = 'name' | 'text' | 'code' | 'category' | 'identifier' | 'email' | 'phone' | 'date';

export interface AttributeSpec {
  readonly kind: ComparisonKind;
  /** A level where the two records agree on Double Metaphone codes. */
  readonly phonetic: boolean;
  /**
   * Term-frequency adjustment on exact agreement: agreeing on a rare value
   * weighs more than agreeing on a common one.
   */
  readonly termFrequency: boolean;
  /** A level where this attribute equals the other record's `swapWith` (given name and surname written the other way round). */
  readonly swapWith?: MatchField | undefined;
}

export const ATTRIBUTES: Readonly<Record<MatchField, AttributeSpec>> = {
  firstName: { kind: 'name', phonetic: true, termFrequency: true, swapWith: 'lastName' },
  lastName: { kind: 'name', phonetic: true, termFrequency: true, swapWith: 'firstName' },
  birthDate: { kind: 'date', phonetic: false, termFrequency: false },
  email: { kind: 'email', phonetic: false, termFrequency: false },
  phone: { kind: 'phone', phonetic: false, termFrequency: false },
  streetNumber: { kind: 'code', phonetic: false, termFrequency: false },
  street: { kind: 'text', phonetic: false, termFrequency: false },
  locality: { kind: 'text', phonetic: true, termFrequency: false },
  city: { kind: 'text', phonetic: true, termFrequency: true },
  postcode: { kind: 'code', phonetic: false, termFrequency: false },
  state: { kind: 'category', phonetic: false, termFrequency: false },
  nationalId: { kind: 'identifier', phonetic: false, termFrequency: false },
};
