/**
 * graphql-js turns an Error in a list into a field error at that item's path
 * and `null` in the data, which is how one failed customer in a batch stays
 * one error. The generated resolver types do not model that; this says so once.
 */
export function withItemErrors<T>(items: ReadonlyArray<T | null | Error>): Array<T | null> {
  return items as Array<T | null>;
}
