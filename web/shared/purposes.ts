/** The Purpose enum of the schema (src/domain/vocabulary.ts); a request names one in x-c360-purpose, lower-cased. */
export { PURPOSES } from '../../src/domain/vocabulary.js';
export type { Purpose } from '../../src/domain/vocabulary.js';

export function purposeHeader(purpose: string): string {
  return purpose.toLowerCase();
}

export function purposeLabel(purpose: string): string {
  const words = purpose.toLowerCase().split('_');
  return words.map((word, index) => (index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word)).join(' ');
}
