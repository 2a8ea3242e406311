import type { SegmentDefinition, SegmentFile, SegmentSpec } from './definitions.js';

/** The segment definitions in force, by id. */
export class SegmentCatalog {
  private readonly byId: ReadonlyMap<string, SegmentSpec>;
  private readonly realtimeSpecs: readonly SegmentSpec[];

  constructor(readonly file: SegmentFile) {
    this.byId = new Map(file.segments.map((segment) => [segment.id, segment]));
    this.realtimeSpecs = file.segments.filter((segment) => segment.realtime);
  }

  list(): readonly SegmentDefinition[] {
    return this.file.segments;
  }

  get(id: string): SegmentDefinition | undefined {
    return this.byId.get(id);
  }

  /** Segments re-evaluated inside every write that concerns a customer. */
  realtime(): readonly SegmentSpec[] {
    return this.realtimeSpecs;
  }

  /** Every segment: the batch evaluation runs them all. */
  all(): readonly SegmentSpec[] {
    return this.file.segments;
  }
}
