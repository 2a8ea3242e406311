/** The harness's progress lines: plain text on stdout, prefixed so they stand out from server output. */
export function log(message: string): void {
  process.stdout.write(`[bench] ${message}\n`);
}
