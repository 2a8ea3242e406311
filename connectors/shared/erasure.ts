/**
 * What an erase did at one source: removed the customer's personal data, or
 * found none. Erasing is idempotent: a second erase of the same customer
 * answers `not_found`. A source that fails throws (SourceError), and the
 * erasure job records it as FAILED so a repeated request resumes there.
 */
export type EraseOutcome = 'erased' | 'not_found';
