// talisman 1.1.4 ships CommonJS without type declarations; these are the
// three comparators the matcher uses (src/matching/strings.ts).
declare module 'talisman/metrics/jaro-winkler.js' {
  /** Jaro–Winkler similarity in [0, 1] (prefix scale 0.1, boost threshold 0.7). */
  export default function jaroWinkler(a: string, b: string): number;
}
declare module 'talisman/metrics/damerau-levenshtein.js' {
  interface DamerauLevenshtein {
    (a: string, b: string): number;
    /** The distance when it is at most `max`, otherwise Infinity (stops early). */
    limited(max: number, a: string, b: string): number;
  }
  const damerauLevenshtein: DamerauLevenshtein;
  export default damerauLevenshtein;
}
declare module 'talisman/phonetics/double-metaphone.js' {
  /** Primary and alternate Double Metaphone codes (at most 4 characters each). */
  export default function doubleMetaphone(word: string): [string, string];
}
