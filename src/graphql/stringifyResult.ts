import type { FormattedExecutionResult } from 'graphql';

/**
 * Apollo Server's `stringifyResult`: the same bytes as its default
 * (`JSON.stringify(result) + '\n'`), written one top-level member at a time.
 * V8's JSON.stringify costs more per byte as its output grows: a marketing
 * batch's 350 KB answer (about 100 KB each of data, errors and
 * `extensions.privacy`) took about twice as long in one call as in three
 * (bench/README.md, issue 18), and was the largest single item of its
 * profile. Members are written in the order Apollo gives them (errors,
 * data, extensions), and one that JSON leaves out (undefined) is left out.
 * An answer with neither errors nor `extensions.privacy` is written in one
 * call: its data is its only member that can be large.
 */
export function stringifyResult(result: FormattedExecutionResult): string {
  // With no errors and no `extensions.privacy`, only `data` can be large: one call costs no more, and
  // spares a small answer (a `{ __typename }`) the member-by-member strings.
  if (result.errors === undefined && result.extensions?.privacy === undefined) return `${JSON.stringify(result)}\n`;
  let json = '{';
  for (const key of Object.keys(result)) {
    const member = JSON.stringify((result as Record<string, unknown>)[key]) as string | undefined;
    if (member === undefined) continue;
    json += `${json.length > 1 ? ',' : ''}${JSON.stringify(key)}:${member}`;
  }
  return `${json}}\n`;
}
