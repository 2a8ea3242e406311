/** The Purpose enum of the schema; a request names one in x-c360-purpose, lower-cased. */
export const PURPOSES = ['SUPPORT', 'MARKETING', 'ANALYTICS', 'PERSONALIZATION', 'FRAUD', 'SELF_SERVICE'] as const;
export type Purpose = (typeof PURPOSES)[number];

export function purposeHeader(purpose: string): string {
  return purpose.toLowerCase();
}

export function purposeLabel(purpose: string): string {
  const words = purpose.toLowerCase().split('_');
  return words.map((word, index) => (index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word)).join(' ');
}
