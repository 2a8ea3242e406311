/**
 * Background jobs (src/jobs/): what a merge, an unmerge or an erasure leaves
 * to do after the request has answered, with the progress a worker has
 * recorded so far. Holds ids, identity index keys and counts, never a
 * personal value.
 */

/**
 * What a job does:
 * - `erase-history`: delete the timelines, consent histories and identity
 *   logs of `customerIds` (forgetCustomer; the customer items went in the
 *   request). `found` counts what the request itself deleted.
 * - `split-events`: move the events that arrived through `vias` from each of
 *   `partitions` to `into` (an unmerge; the absorbed ids that left moved by
 *   pointer in the request).
 */
export type JobSpec =
  | { readonly kind: 'erase-history'; readonly customerIds: readonly string[]; readonly found: number }
  | { readonly kind: 'split-events'; readonly into: string; readonly partitions: readonly string[]; readonly vias: readonly string[] };

export type JobKind = JobSpec['kind'];

/** Where a job stands: the step it is in (a partition, or a partition and a table), the position in it, and what it did so far. */
export interface JobProgress {
  readonly step: number;
  /** An opaque position inside the step; null at the step's start. */
  readonly after?: string | null;
  /** Items deleted or moved so far. */
  readonly items: number;
  /** Pages done so far (each one a recorded step of progress). */
  readonly pages: number;
}

export interface JobRecord {
  /** Derived from what the job is for (`erase#<customerId>`, `split#<newCustomerId>`), so asking twice creates it once. */
  readonly id: string;
  readonly spec: JobSpec;
  readonly status: 'OPEN' | 'DONE';
  readonly progress: JobProgress;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly completedAt?: string | null;
  /** The worker running the job, until `leaseUntil` (epoch ms); after that any worker takes it over from the recorded progress. */
  readonly owner?: string | null;
  readonly leaseUntil?: number | null;
  /** Runs in a row that stopped on a source failure (throttling past the retry policy); the next waits until `notBefore` (epoch ms). */
  readonly failures: number;
  readonly notBefore?: number | null;
  /** The last failure's message (a SourceError's: never a value). */
  readonly lastError?: string | null;
  /** Optimistic concurrency, as customers: a write names the version it read. */
  readonly version: number;
}

export interface JobPage {
  readonly jobs: readonly JobRecord[];
  /** Opaque position of the next page; undefined at the end. */
  readonly next?: string | undefined;
}
